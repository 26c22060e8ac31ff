"""Rollups follow every report change; the endpoints read them back as figures, JSON or CSV."""

from datetime import datetime, timedelta

import pytest

from api.stats.metrics import CITY_TZ
from tests.factories import (
    appeal,
    apply_statistics,
    auth_headers,
    decide_appeal,
    file_report,
    move_status,
    new_uid,
    reject,
    resolve,
    staff_headers,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"  # construction_dept
GARBAGE = "Rác sinh hoạt chất đống ven đường không ai thu gom"  # urenco
LEADER = staff_headers("leadership")


def overview(client, headers=LEADER, **params):
    apply_statistics(client)
    response = client.get("/v1/stats/overview", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["figures"]


def test_intake_and_resolution_show_up_in_the_overview(client):
    reports = [file_report(client, POTHOLE) for _ in range(3)]
    assert overview(client)["received"] == 3 and overview(client)["backlog"] == 3
    resolve(client, reports[0]["id"], "construction_dept")
    staff = staff_headers("agency_staff", "construction_dept")
    assert (
        move_status(client, reports[1]["id"], "rejected", staff, public_note="Không thuộc thẩm quyền").status_code
        == 200
    )
    figures = overview(client)
    assert figures["received"] == 3 and figures["resolved"] == 1 and figures["rejected"] == 1
    assert figures["acknowledged"] == 2 and figures["acknowledge_on_time_rate"] == 1.0
    assert figures["backlog"] == 1 and figures["resolve_on_time_rate"] == 1.0
    assert figures["acknowledge_median_s"] == 30.0  # acknowledged within a minute: the sub-minute bucket


def test_reroute_moves_the_backlog_between_agencies(client):
    report = file_report(client, POTHOLE)
    triage = staff_headers("triage_officer")
    etag = client.get(f"/v1/reports/{report['id']}", headers=triage).headers["etag"]
    moved = client.post(
        f"/v1/triage/reports/{report['id']}/assign",
        json={"agency": "urenco", "reason": "rác"},
        headers={**triage, "If-Match": etag},
    )
    assert moved.status_code == 200, moved.text
    apply_statistics(client)
    rows = {
        r["group"]: r["figures"] for r in client.get("/v1/stats/breakdown?by=agency", headers=LEADER).json()["rows"]
    }
    assert rows["construction_dept"]["backlog"] == 0 and rows["construction_dept"]["received"] == 1
    assert rows["urenco"]["backlog"] == 1 and rows["urenco"]["rerouted"] == 1


def test_agency_staff_read_their_own_agency_only(client):
    file_report(client, POTHOLE)
    file_report(client, GARBAGE)
    urenco = staff_headers("agency_staff", "urenco")
    assert overview(client, urenco)["received"] == 1
    assert client.get("/v1/stats/overview?agency=construction_dept", headers=urenco).status_code == 403
    assert client.get("/v1/stats/ranking", headers=urenco).status_code == 403
    rows = client.get("/v1/stats/breakdown?by=agency", headers=urenco).json()["rows"]
    assert [r["group"] for r in rows] == ["urenco"]
    assert client.get("/v1/stats/overview", headers=auth_headers(new_uid())).status_code == 403
    assert client.get("/v1/stats/overview").status_code == 401


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"by": "street"}, "by"),
        ({"interval": "year"}, "interval"),
        ({"format": "xml"}, "format"),
        ({"to": "0001-01-05"}, "to"),  # found by schemathesis: the default "from" would fall before year 1
        ({"from": "9999-12-31"}, "from"),
    ],
)
def test_bad_parameters_are_422_problems_in_both_languages(client, params, field):
    path = "/v1/stats/trend" if "interval" in params else "/v1/stats/breakdown"
    for language in ("vi", "en"):
        response = client.get(path, params=params, headers={**LEADER, "Accept-Language": language})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field


def test_csv_has_a_bom_and_vietnamese_names(client):
    file_report(client, POTHOLE)
    apply_statistics(client)
    response = client.get("/v1/stats/breakdown?by=agency&format=csv", headers=LEADER)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("from,to,by,group,name,received")
    assert "Sở Xây dựng Hà Nội" in lines[1]


def test_trend_points_cover_the_range_with_the_backlog_at_each_end(client):
    file_report(client, POTHOLE)
    apply_statistics(client)
    today = datetime.now(CITY_TZ).date()
    body = client.get(
        "/v1/stats/trend",
        params={"interval": "day", "from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()},
        headers=LEADER,
    ).json()
    assert [p["figures"]["received"] for p in body["points"]] == [0, 0, 1]
    assert [p["figures"]["backlog"] for p in body["points"]] == [0, 0, 1]


def test_public_stats_need_no_sign_in_and_are_cached(client):
    file_report(client, POTHOLE)
    apply_statistics(client)
    first = client.get("/v1/public/stats")
    assert first.status_code == 200 and first.json()["figures"]["received"] == 1
    assert "max-age" in first.headers["cache-control"]
    file_report(client, POTHOLE)
    assert apply_statistics(client) == 1
    assert client.get("/v1/public/stats").json()["figures"]["received"] == 1  # cached
    assert [r["agency"] for r in first.json()["ranking"]] == ["construction_dept"]


def test_escalations_appeals_and_the_overturn_rate_per_agency(client, sync_db):
    late, rejected, kept = (file_report(client, POTHOLE) for _ in range(3))
    due = sync_db.reports.find_one({"code": late["code"]})["due_at"]
    sync_db.reports.update_one({"code": late["code"]}, {"$set": {"due_at": due - timedelta(days=60)}})
    client.portal.call(client.app.state.worker.jobs["overdue"])
    assert client.portal.call(client.app.state.worker.jobs["escalate"]) == 1
    triage = staff_headers("triage_officer")
    for report, outcome in ((rejected, "overturned"), (kept, "upheld")):
        reject(client, report["id"], "construction_dept")
        assert appeal(client, report).status_code == 201
        assert decide_appeal(client, report["id"], triage, outcome, agency="urenco").status_code == 200
    figures = overview(client, agency="construction_dept")
    assert (figures["escalated"], figures["appealed"], figures["appeals_overturned"]) == (1, 2, 1)
    assert figures["overturn_rate"] == 0.5
    assert overview(client, agency="urenco")["appealed"] == 0  # counted against the agency whose decision was contested
    csv_text = client.get("/v1/stats/breakdown?by=agency&format=csv", headers=LEADER).content.decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    assert {"escalated", "appealed", "appeals_overturned", "overturn_rate"} <= set(header.split(","))
    row = next(dict(zip(header.split(","), r.split(","), strict=True)) for r in rows if ",construction_dept," in r)
    assert (row["escalated"], row["appealed"], row["overturn_rate"]) == ("1", "2", "0.5")
