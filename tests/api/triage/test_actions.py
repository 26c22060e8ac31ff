"""Reassign, recategorise (with corrections and their export), priority, notes, escalations."""

import io
import json
import os
import subprocess
import sys

import pytest

from api.corrections.export import export_corrections
from api.corrections.repository import CorrectionRepository
from classifiers.dataset import read_jsonl
from tests.factories import auth_headers, file_report, new_uid, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
DRAIN = "Cống bị tắc"


def act(client, report_id, action, body, headers, etag=None):
    etag = etag or client.get(f"/v1/reports/{report_id}", headers=headers).headers.get("etag", '"v0"')
    return client.post(f"/v1/triage/reports/{report_id}/{action}", json=body, headers={**headers, "If-Match": etag})


@pytest.fixture
def unsure_client(make_client):
    return make_client(classifier_threshold=1.0)  # every report lands in the triage queue (no confidence reaches 1)


def test_one_action_routes_a_low_confidence_report(unsure_client, sync_db):
    report = file_report(unsure_client, DRAIN)
    officer = staff_headers("triage_officer")
    queue = unsure_client.get("/v1/triage/queue", params={"agency": "citizen_center"}, headers=officer).json()
    assert queue["items"][0]["suggestions"][0]["category"] == "flooding_drainage"
    routed = act(
        unsure_client, report["id"], "category", {"category": "flooding_drainage", "reason": "rõ ràng"}, officer
    )
    assert routed.status_code == 200, routed.text
    body = routed.json()
    assert (body["status"], body["agency"], body["routing"]["category"]) == (
        "assigned",
        "drainage_co",
        "flooding_drainage",
    )
    assert body["due_acknowledge_at"] is not None
    assert sync_db.reports.find_one()["routing"]["reason"] == "recategorise"
    correction = sync_db.corrections.find_one()
    assert correction["text"] == DRAIN and correction["old_category"] is None
    assert correction["new_category"] == "flooding_drainage" and correction["model_category"] == "flooding_drainage"
    assert correction["by_role"] == "triage_officer" and correction["kind"] == "recategorise"
    drainage = staff_headers("agency_staff", "drainage_co")
    assert [i["code"] for i in unsure_client.get("/v1/triage/queue", headers=drainage).json()["items"]] == [
        report["code"]
    ]


def test_reassignment_moves_the_report_between_agencies(client, sync_db):
    report = file_report(client, POTHOLE)
    construction = staff_headers("agency_staff", "construction_dept")
    moved = act(client, report["id"], "assign", {"agency": "urenco", "reason": "rác trên đường"}, construction)
    assert moved.status_code == 200 and moved.json()["agency"] == "urenco"
    assert client.get(f"/v1/reports/{report['id']}", headers=construction).status_code == 404  # no longer theirs
    urenco = staff_headers("agency_staff", "urenco")
    assert client.get(f"/v1/reports/{report['id']}", headers=urenco).status_code == 200
    correction = sync_db.corrections.find_one()
    assert (correction["old_agency"], correction["new_agency"], correction["kind"]) == (
        "construction_dept",
        "urenco",
        "reassign",
    )
    to_ward = act(client, report["id"], "assign", {"agency": "ward:00070", "reason": "lấn chiếm"}, urenco)
    assert to_ward.status_code == 200 and to_ward.json()["routing"]["agency_name"] == "UBND phường Hoàn Kiếm"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"agency": "urenco"}, 422),  # no reason
        ({"agency": "urenco", "reason": ""}, 422),
        ({"agency": "no_such_agency", "reason": "x"}, 422),
        ({"agency": "ward:99999", "reason": "x"}, 422),
        ({"agency": "construction_dept", "reason": "x"}, 409),  # already there
    ],
)
def test_reassignment_refusals(client, body, status):
    report = file_report(client, POTHOLE)
    response = act(client, report["id"], "assign", body, staff_headers("triage_officer"))
    assert response.status_code == status and response.headers["content-type"] == "application/problem+json"


def test_who_may_reroute(client):
    report = file_report(client, POTHOLE)
    body = {"category": "street_lighting", "reason": "x"}
    assert act(client, report["id"], "category", body, staff_headers("agency_staff", "urenco")).status_code == 404
    assert act(client, report["id"], "category", body, staff_headers("leadership")).status_code == 403
    assert act(client, report["id"], "category", body, auth_headers(report["_author"])).status_code == 403
    assert (
        act(client, report["id"], "category", {"category": "nope", "reason": "x"}, staff_headers("admin")).status_code
        == 422
    )
    assert act(client, report["id"], "category", body, staff_headers("admin"), etag='"v7"').status_code == 412


def test_corrections_export_as_training_lines(unsure_client, sync_db):
    officer = staff_headers("triage_officer")
    first, second = file_report(unsure_client, DRAIN), file_report(unsure_client, POTHOLE)
    act(unsure_client, first["id"], "category", {"category": "road_damage", "reason": "nhầm"}, officer)
    act(unsure_client, first["id"], "category", {"category": "flooding_drainage", "reason": "sửa lại"}, officer)
    act(unsure_client, second["id"], "category", {"category": "road_damage", "reason": "ok"}, officer)
    out = io.StringIO()
    repo = CorrectionRepository(unsure_client.app.state.db)
    assert unsure_client.portal.call(export_corrections, repo, out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {(line["text"], line["category"]) for line in lines} == {
        (DRAIN, "flooding_drainage"),
        (POTHOLE, "road_damage"),
    }
    assert all(line["source"] == "staff_correction" for line in lines)


def test_internal_notes_stay_internal_and_public_replies_reach_the_resident(client):
    report = file_report(client, POTHOLE)
    staff = staff_headers("agency_staff", "construction_dept", uid="staff-42")
    url = f"/v1/triage/reports/{report['id']}/notes"
    assert client.post(url, json={"text": "Đội 3 kiểm tra chiều nay"}, headers=staff).status_code == 200
    replied = client.post(url, json={"text": "Chúng tôi đã tiếp nhận và sẽ xử lý", "public": True}, headers=staff)
    assert [n["text"] for n in replied.json()["internal_notes"]] == ["Đội 3 kiểm tra chiều nay"]
    resident_view = client.get(f"/v1/reports/{report['id']}", headers=auth_headers(report["_author"])).json()
    assert [r["text"] for r in resident_view["replies"]] == ["Chúng tôi đã tiếp nhận và sẽ xử lý"]
    assert "Đội 3" not in json.dumps(resident_view, ensure_ascii=False) and "staff-42" not in json.dumps(resident_view)
    assert client.post(url, json={"text": "   "}, headers=staff).status_code == 422
    assert client.post(url, json={"text": "x"}, headers=auth_headers(report["_author"])).status_code == 403


def test_priority_change_moves_the_deadlines(client):
    report = file_report(client, POTHOLE)
    staff = staff_headers("agency_staff", "construction_dept")
    before = client.get(f"/v1/reports/{report['id']}", headers=staff).json()
    urgent = act(client, report["id"], "priority", {"priority": "urgent", "reason": "xe ngã"}, staff).json()
    assert urgent["priority"] == "urgent" and urgent["due_acknowledge_at"] < before["due_acknowledge_at"]
    assert act(client, report["id"], "priority", {"priority": "asap", "reason": "x"}, staff).status_code == 422


def test_escalations_list_overdue_reports_for_triage_and_leadership(client, sync_db):
    late, on_time = file_report(client, POTHOLE), file_report(client, "Rác thải chất đống đầu ngõ 3 ngày")
    due = sync_db.reports.find_one({"code": on_time["code"]})["due_at"]
    sync_db.reports.update_one({"code": late["code"]}, {"$set": {"due_at": due.replace(year=due.year - 1)}})
    assert client.portal.call(client.app.state.worker.jobs["overdue"]) == 1
    for role in ("triage_officer", "leadership"):
        items = client.get("/v1/triage/escalations", headers=staff_headers(role)).json()["items"]
        assert [i["code"] for i in items] == [late["code"]] and items[0]["overdue_by_s"] > 300 * 24 * 3600
    # agency staff get only what was escalated to their body (nothing yet), never the city-wide list
    assert client.get("/v1/triage/escalations", headers=staff_headers("agency_staff", "urenco")).json()["items"] == []
    assert client.get("/v1/triage/escalations", headers=auth_headers(new_uid())).status_code == 403


@pytest.mark.slow  # runs the export command in a process
def test_export_corrections_command_writes_jsonl(unsure_client, settings, tmp_path):
    report = file_report(unsure_client, DRAIN)
    act(
        unsure_client,
        report["id"],
        "category",
        {"category": "flooding_drainage", "reason": "x"},
        staff_headers("triage_officer"),
    )
    out = tmp_path / "corrections.jsonl"
    env = {**os.environ, "PHANANH_MONGODB_URI": settings.mongodb_uri, "PHANANH_DATABASE_NAME": settings.database_name}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "export-corrections", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = read_jsonl(out)  # the classifier's own reader accepts it
    assert [(r["text"], r["category"]) for r in rows] == [(DRAIN, "flooding_drainage")]
