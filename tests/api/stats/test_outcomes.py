"""Resolutions with proof and rejections per reason × agency: counted after commit from the change records,
read back in the overview, the breakdown and the CSV, and equal to a recomputation from the reports."""

import csv
import io

from tests.api.stats.recompute import recomputed_rollups, stored_rollups
from tests.factories import apply_statistics, file_report, move_status, staff_headers

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"  # construction_dept, proof required
GARBAGE = "Rác sinh hoạt chất đống ven đường không ai thu gom"  # urenco
KARAOKE = "Quán karaoke hát rất to đến 2 giờ sáng, cả khu phố không ngủ được"  # noise, no proof required
LEADER = staff_headers("leadership")
ADMIN = staff_headers("admin")


def resolve_as_admin(client, report_id, **notes):
    assert move_status(client, report_id, "in_progress", ADMIN).status_code == 200
    assert move_status(client, report_id, "resolved", ADMIN, public_note="Xong", **notes).status_code == 200


def test_proof_and_reasons_are_counted_per_agency(client, sync_db):
    potholes = [file_report(client, POTHOLE) for _ in range(3)]
    garbage = file_report(client, GARBAGE)
    noise = file_report(client, KARAOKE)
    resolve_as_admin(client, potholes[0]["id"])  # the factory attaches a photo
    resolve_as_admin(client, noise["id"], attachments=[])  # allowed without one
    for report, reason, redirect in (
        (potholes[1], "not_in_remit", "lighting_co"),
        (potholes[2], "duplicate", None),
        (garbage, "duplicate", None),
    ):
        extra = {"redirect": redirect} if redirect else {}
        assert (
            move_status(
                client, report["id"], "rejected", ADMIN, public_note="Xin cảm ơn", reason_code=reason, **extra
            ).status_code
            == 200
        )
    apply_statistics(client)
    assert stored_rollups(sync_db) == recomputed_rollups(sync_db)
    figures = client.get("/v1/stats/overview", headers=LEADER).json()["figures"]
    assert (
        figures["resolved"] == 2 and figures["resolved_with_proof"] == 1 and figures["resolved_with_proof_rate"] == 0.5
    )
    assert figures["rejected"] == 3
    assert figures["rejected_by_reason"] == {
        "not_in_remit": 1,
        "insufficient_information": 0,
        "private_dispute": 0,
        "duplicate": 2,
        "already_handled": 0,
        "abusive_content": 0,
    }
    rows = {
        r["group"]: r["figures"] for r in client.get("/v1/stats/breakdown?by=agency", headers=LEADER).json()["rows"]
    }
    assert rows["construction_dept"]["rejected_by_reason"]["not_in_remit"] == 1
    assert rows["construction_dept"]["rejected_by_reason"]["duplicate"] == 1
    assert rows["urenco"]["rejected_by_reason"]["duplicate"] == 1
    assert rows["construction_dept"]["resolved_with_proof_rate"] == 1.0
    exported = client.get("/v1/stats/breakdown?by=agency&format=csv", headers=LEADER).content.decode("utf-8-sig")
    by_group = {row["group"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert by_group["construction_dept"]["rejected_by_reason.not_in_remit"] == "1"
    assert by_group["construction_dept"]["resolved_with_proof_rate"] == "1.0"
