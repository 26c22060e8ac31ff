"""Rating once after resolution; reopening within the window; both for the author only."""

from datetime import timedelta

import pytest

from tests.factories import auth_headers, file_report, new_uid, resolve, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"


def rate(client, report, uid=None, **body):
    return client.post(f"/v1/reports/{report['id']}/rating", json=body, headers=auth_headers(uid or report["_author"]))


def reopen(client, report, uid=None, **body):
    return client.post(f"/v1/reports/{report['id']}/reopen", json=body, headers=auth_headers(uid or report["_author"]))


def test_rating_once_after_resolution(client, sync_db):
    report = file_report(client, POTHOLE)
    assert rate(client, report, stars=5).status_code == 409  # not resolved yet
    resolve(client, report["id"], "construction_dept")
    rated = rate(client, report, stars=4, comment="Nhanh, cảm ơn")
    assert rated.status_code == 200 and rated.json()["rating"]["stars"] == 4
    assert rate(client, report, stars=1).status_code == 409  # once
    assert sync_db.reports.find_one()["rating"]["comment"] == "Nhanh, cảm ơn"


@pytest.mark.parametrize("body", [{"stars": 0}, {"stars": 6}, {"stars": "many"}, {}])
def test_rating_bad_input(client, body):
    report = file_report(client, POTHOLE)
    resolve(client, report["id"], "construction_dept")
    response = rate(client, report, **body)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


def test_only_the_author_rates_or_reopens(client):
    report = file_report(client, POTHOLE)
    resolve(client, report["id"], "construction_dept")
    stranger = new_uid()
    assert rate(client, report, stranger, stars=1).status_code == 404
    assert reopen(client, report, stranger, reason="chưa sửa").status_code == 404
    staff = staff_headers("agency_staff", "construction_dept")
    assert client.post(f"/v1/reports/{report['id']}/reopen", json={"reason": "x"}, headers=staff).status_code == 404


def test_reopen_within_the_window_restarts_the_clock(client, sync_db):
    report = file_report(client, POTHOLE)
    resolve(client, report["id"], "construction_dept")
    assert reopen(client, report).status_code == 422  # a reason is required
    reopened = reopen(client, report, reason="Ổ gà vẫn còn nguyên")
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    assert reopened.json()["status_history"][-1]["note"] == "Ổ gà vẫn còn nguyên"
    stored = sync_db.reports.find_one()
    assert stored["due_at"] > stored["status_history"][-1]["at"] and stored["resolved_at"] is None
    staff = staff_headers("agency_staff", "construction_dept")
    items = client.get("/v1/triage/queue", params={"status": "reopened"}, headers=staff).json()["items"]
    assert [i["code"] for i in items] == [report["code"]]
    assert reopen(client, report, reason="again").status_code == 409  # not resolved any more


def test_reopen_after_the_window_is_refused_in_the_residents_language(client, sync_db):
    report = file_report(client, POTHOLE)
    resolve(client, report["id"], "construction_dept")
    resolved_at = sync_db.reports.find_one()["resolved_at"]
    sync_db.reports.update_one({}, {"$set": {"resolved_at": resolved_at - timedelta(days=7, minutes=1)}})
    refused = reopen(client, report, reason="chưa sửa")
    assert refused.status_code == 409 and "7 ngày" in refused.json()["title"] + refused.json().get("detail", "")
    assert sync_db.reports.find_one()["status"] == "resolved"
