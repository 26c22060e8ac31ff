"""Appeals: once, by the author, within the window, after a rejection or a 1-2 star rating;
decided by the supervising body, overturned reports handed to an agency again."""

from datetime import timedelta

import pytest

from tests.factories import appeal, auth_headers, decide_appeal, file_report, new_uid, reject, resolve, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
HANDLER, SUPERVISOR = "urenco", "construction_dept"


@pytest.fixture
def rejected(client, sync_db) -> dict:
    """A report URENCO handled and rejected."""
    report = file_report(client, POTHOLE)
    sync_db.reports.update_one({"code": report["code"]}, {"$set": {"agency": HANDLER}})
    reject(client, report["id"], HANDLER)
    return report


def rate(client, report, stars):
    response = client.post(
        f"/v1/reports/{report['id']}/rating", json={"stars": stars}, headers=auth_headers(report["_author"])
    )
    assert response.status_code == 200


def test_an_overturned_rejection_goes_back_to_an_agency(client, rejected, sync_db):
    filed = appeal(client, rejected)
    assert filed.status_code == 201
    assert filed.json()["appeal"]["to"] == SUPERVISOR and filed.json()["appeal"]["outcome"] is None
    supervisor = staff_headers("agency_staff", SUPERVISOR)
    listed = client.get("/v1/triage/escalations", headers=supervisor).json()["items"]
    assert [i["code"] for i in listed] == [rejected["code"]] and listed[0]["appeal_due_at"] is not None
    decided = decide_appeal(
        client, rejected["id"], supervisor, "overturned", "Thuộc trách nhiệm thoát nước", agency="drainage_co"
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["agency"], body["resident_uid"]) == ("assigned", "drainage_co", None)
    assert body["due_acknowledge_at"] is not None and body["overdue"] is False
    mine = client.get(f"/v1/reports/{rejected['id']}", headers=auth_headers(rejected["_author"])).json()
    assert mine["appeal"]["outcome"] == "overturned" and mine["appeal"]["note"] == "Thuộc trách nhiệm thoát nước"
    assert mine["rejection"] is None  # the overturned rejection no longer stands
    assert mine["status_history"][-1] == {
        "status": "assigned",
        "at": mine["appeal"]["decided_at"],
        "note": "Thuộc trách nhiệm thoát nước",
        "photos": [],
    }
    assert decide_appeal(client, rejected["id"], supervisor, "upheld").status_code == 409  # decided once
    assert (
        client.get("/v1/triage/queue", headers=staff_headers("agency_staff", "drainage_co")).json()["items"][0]["code"]
        == rejected["code"]
    )
    assert sync_db.audit_log.count_documents({"action": {"$in": ["appeal", "appeal_decision"]}}) == 2


def test_an_upheld_appeal_leaves_the_outcome_and_overturned_defaults_to_the_same_agency(client, rejected):
    appeal(client, rejected)
    upheld = decide_appeal(client, rejected["id"], staff_headers("triage_officer"), "upheld", "Đúng quy định")
    assert upheld.status_code == 200 and upheld.json()["status"] == "rejected"
    assert upheld.json()["appeal"]["outcome"] == "upheld"
    other = file_report(client, POTHOLE)
    reject(client, other["id"], "construction_dept")
    appeal(client, other)
    back = decide_appeal(client, other["id"], staff_headers("triage_officer"), "overturned")
    assert back.json()["agency"] == "construction_dept" and back.json()["appeal"]["to"] == "city_leadership"


def test_who_may_decide(client, rejected):
    appeal(client, rejected)
    assert (
        decide_appeal(client, rejected["id"], staff_headers("agency_staff", HANDLER), "overturned").status_code == 403
    )
    assert (
        decide_appeal(client, rejected["id"], staff_headers("agency_staff", "lighting_co"), "upheld").status_code == 404
    )
    assert decide_appeal(client, rejected["id"], staff_headers("leadership"), "upheld").status_code == 403
    assert decide_appeal(client, rejected["id"], auth_headers(rejected["_author"]), "upheld").status_code == 403
    supervisor = staff_headers("agency_staff", SUPERVISOR)
    assert decide_appeal(client, rejected["id"], supervisor, "overturned", agency="nowhere").status_code == 422
    stale = client.post(
        f"/v1/triage/reports/{rejected['id']}/appeal/decision",
        json={"outcome": "upheld", "note": "x"},
        headers={**supervisor, "If-Match": '"v1"'},
    )
    assert stale.status_code == 412


def test_appeal_refusals(client, rejected, sync_db):
    assert appeal(client, rejected, uid=new_uid()).status_code == 404  # a stranger
    assert appeal(client, rejected, uid=None, reason="").status_code == 422
    assert appeal(client, rejected).status_code == 201
    twice = appeal(client, rejected)
    assert twice.status_code == 409 and twice.json()["code"] == "appeal_already_made"
    still_open = file_report(client, POTHOLE)
    assert appeal(client, still_open).json()["code"] == "appeal_not_allowed"


def test_appeal_outside_the_window(client, rejected, sync_db):
    stored = sync_db.reports.find_one({"code": rejected["code"]})
    history = stored["status_history"]
    history[-1]["at"] -= timedelta(days=7, minutes=1)
    sync_db.reports.update_one({"_id": stored["_id"]}, {"$set": {"status_history": history}})
    late = appeal(client, rejected)
    assert late.status_code == 409 and late.json()["code"] == "appeal_window_closed"


def test_a_poor_rating_may_be_appealed_a_fair_one_not(client):
    poor, fair = file_report(client, POTHOLE), file_report(client, POTHOLE)
    for report, stars in ((poor, 2), (fair, 3)):
        resolve(client, report["id"], "construction_dept")
        rate(client, report, stars)
    refused = appeal(client, fair, reason="Chưa hài lòng")
    assert refused.status_code == 409 and refused.json()["code"] == "appeal_not_allowed"
    filed = appeal(client, poor, reason="Vá tạm, vẫn lún")
    assert filed.status_code == 201 and filed.json()["status"] == "resolved"  # an appeal is not a reopening
    reopened = client.post(
        f"/v1/reports/{poor['id']}/reopen", json={"reason": "Vẫn lún"}, headers=auth_headers(poor["_author"])
    )
    assert reopened.status_code == 200  # the author may still reopen within the reopen window: other rules
