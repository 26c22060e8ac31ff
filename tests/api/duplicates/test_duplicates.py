"""Possible duplicates at intake, following, and merging with followers."""

import math
from datetime import timedelta

import pytest

from api.duplicates.finder import cells_within, distance_m, geo_cell, similarity
from tests.factories import HOAN_KIEM_LAKE, auth_headers, file_report, new_uid, resolve, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
SAME_POTHOLE = "o ga rat to o duong Hang Bai, xe may nga lien tuc"  # typed without diacritics
OTHER_POTHOLE_WORDS = "Mặt đường sụt lún thành hố sâu, nước đọng"
LAT, LNG = HOAN_KIEM_LAKE


def at(metres_north: float) -> dict[str, float]:
    return {"lat": LAT + metres_north / 111_320, "lng": LNG}


def duplicate_codes(body: dict) -> list[str]:
    return [d["code"] for d in body["possible_duplicates"]]


def test_similarity_ignores_diacritics_and_scores_different_words_low() -> None:
    assert similarity(POTHOLE, SAME_POTHOLE) > 0.6
    assert similarity(POTHOLE, OTHER_POTHOLE_WORDS) < 0.2
    assert similarity("", POTHOLE) == 0.0


def test_near_same_category_recent_report_is_offered(client) -> None:
    first = file_report(client, POTHOLE, **at(0))
    second = file_report(client, SAME_POTHOLE, **at(30))
    assert duplicate_codes(second) == [first["code"]]
    offered = second["possible_duplicates"][0]
    # what another resident learns: code, status, category, an excerpt; never who or exactly where
    assert set(offered) == {"id", "code", "status", "category", "description", "similarity", "created_at"}
    assert first["_author"] not in str(second["possible_duplicates"])


def test_far_different_category_old_or_closed_reports_are_not(client, sync_db) -> None:
    file_report(client, POTHOLE, **at(0))
    assert duplicate_codes(file_report(client, SAME_POTHOLE, **at(200))) == []
    assert duplicate_codes(file_report(client, "Rác thải sinh hoạt chất đống không ai thu gom", **at(5))) == []
    fifteen_days_ago = sync_db.reports.find_one()["created_at"] - timedelta(days=15)
    sync_db.reports.update_many({}, {"$set": {"created_at": fifteen_days_ago}})
    assert duplicate_codes(file_report(client, SAME_POTHOLE, **at(0))) == []  # all older than 14 days


def test_closed_reports_are_not_offered(client) -> None:
    first = file_report(client, POTHOLE, **at(0))
    resolve(client, first["id"], "construction_dept")
    assert duplicate_codes(file_report(client, SAME_POTHOLE, **at(10))) == []


def test_dissimilar_text_nearby_is_not_offered(client) -> None:
    file_report(client, POTHOLE, **at(0))
    assert (
        duplicate_codes(file_report(client, "Đèn tín hiệu giao thông ngã tư hỏng, các xe tranh nhau đi", **at(10)))
        == []
    )


def test_a_resident_follows_an_open_report(client, sync_db) -> None:
    report = file_report(client, POTHOLE)
    neighbour = new_uid()
    url = f"/v1/reports/{report['id']}/follow"
    first = client.post(url, headers=auth_headers(neighbour))
    assert first.status_code == 200 and first.json()["followers"] == 1 and first.json()["following"] is True
    assert client.post(url, headers=auth_headers(neighbour)).json()["followers"] == 1  # idempotent
    assert (
        client.post(url, headers=auth_headers(report["_author"])).json()["followers"] == 1
    )  # the author already hears
    assert "resident_uid" not in first.json()
    assert client.delete(url, headers=auth_headers(neighbour)).json() == {
        **first.json(),
        "following": False,
        "followers": 0,
    }


def test_follow_refusals(client) -> None:
    report = file_report(client, POTHOLE)
    url = f"/v1/reports/{report['id']}/follow"
    assert client.post(url, headers=staff_headers("triage_officer")).status_code == 403
    assert client.post(url).status_code == 401
    assert (
        client.post("/v1/reports/aaaaaaaaaaaaaaaaaaaaaaaa/follow", headers=auth_headers(new_uid())).status_code == 404
    )
    resolve(client, report["id"], "construction_dept")
    closed = client.post(url, headers=auth_headers(new_uid(), **{"Accept-Language": "en"}))
    assert closed.status_code == 409 and closed.headers["content-type"] == "application/problem+json"
    assert "no longer open" in closed.json()["title"] + closed.json().get("detail", "")


def merge(client, source: dict, target: dict, headers: dict, **body):
    etag = client.get(f"/v1/reports/{source['id']}", headers=headers).headers.get("etag", '"v0"')
    return client.post(
        f"/v1/triage/reports/{source['id']}/merge",
        json={"into": target["id"], **body},
        headers={**headers, "If-Match": etag},
    )


def test_merge_closes_the_duplicate_and_moves_its_people(client, sync_db) -> None:
    survivor = file_report(client, POTHOLE)
    duplicate = file_report(client, SAME_POTHOLE)
    fan = new_uid()
    client.post(f"/v1/reports/{duplicate['id']}/follow", headers=auth_headers(fan))
    staff = staff_headers("agency_staff", "construction_dept")
    merged = merge(client, duplicate, survivor, staff, public_note="Trùng với phản ánh đã có")
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "closed" and merged.json()["merged_into"]["code"] == survivor["code"]
    followers = {
        f["resident_uid"]
        for f in sync_db.report_followers.find(
            {"report_id": sync_db.reports.find_one({"code": survivor["code"]})["_id"]}
        )
    }
    assert followers == {duplicate["_author"], fan}
    author_view = client.get(f"/v1/reports/{duplicate['id']}", headers=auth_headers(duplicate["_author"])).json()
    assert author_view["merged_into"] == {"id": survivor["id"], "code": survivor["code"]}
    assert author_view["status_history"][-1] == {
        **author_view["status_history"][-1],
        "status": "closed",
        "note": "Trùng với phản ánh đã có",
    }
    assert sync_db.audit_log.count_documents({"action": "merge"}) == 1


def test_merge_refusals(client) -> None:
    survivor, duplicate = file_report(client, POTHOLE), file_report(client, SAME_POTHOLE)
    staff = staff_headers("agency_staff", "construction_dept")
    assert merge(client, duplicate, duplicate, staff).status_code == 422
    assert merge(client, duplicate, survivor, staff_headers("agency_staff", "urenco")).status_code == 404
    assert merge(client, duplicate, survivor, auth_headers(duplicate["_author"])).status_code == 403
    no_etag = client.post(f"/v1/triage/reports/{duplicate['id']}/merge", json={"into": survivor["id"]}, headers=staff)
    assert no_etag.status_code == 428
    resolve(client, survivor["id"], "construction_dept")
    assert merge(client, duplicate, survivor, staff).status_code == 409


@pytest.mark.parametrize("body", [{}, {"into": "not-an-id"}])
def test_merge_bad_input(client, body) -> None:
    duplicate = file_report(client, POTHOLE)
    response = client.post(
        f"/v1/triage/reports/{duplicate['id']}/merge",
        json=body,
        headers={**staff_headers("triage_officer"), "If-Match": '"v2"'},
    )
    assert response.status_code in (404, 422) and response.headers["content-type"] == "application/problem+json"


def test_cells_cover_the_radius_in_every_direction() -> None:
    cells = set(cells_within(LAT, LNG, 50))
    for bearing in range(0, 360, 15):
        north, east = 49.9 * math.cos(math.radians(bearing)), 49.9 * math.sin(math.radians(bearing))
        lat, lng = LAT + north / 111_320, LNG + east / (111_320 * math.cos(math.radians(LAT)))
        assert 49 < distance_m(LAT, LNG, lat, lng) < 50.5
        assert geo_cell(lat, lng) in cells


def test_the_duplicate_query_is_index_served(client, sync_db) -> None:
    plan = sync_db.reports.find({"category": "road_damage", "geo_cell": {"$in": cells_within(LAT, LNG, 50)}}).explain()
    winning = str(plan["queryPlanner"]["winningPlan"])
    assert "'indexName': 'duplicates'" in winning and "COLLSCAN" not in winning


def test_staff_of_a_supervising_body_see_escalated_candidates(client, sync_db):
    """The candidates are read with a projection: it must carry what ``can_see`` asks (supervisors)."""
    first = file_report(client, "Rác thải chất đống ở đầu ngõ 12 Kim Mã mấy ngày không ai thu, bốc mùi hôi thối")
    second = file_report(client, "Rac thai chat dong o dau ngo 12 Kim Ma may ngay khong ai thu, boc mui hoi")
    assert {first["routing"]["agency"], second["routing"]["agency"]} == {"urenco"}
    sync_db["reports"].update_many({}, {"$set": {"supervisors": ["construction_dept"]}})  # both escalated to it
    supervisor = staff_headers("agency_staff", "construction_dept")
    found = client.get(f"/v1/triage/reports/{first['id']}/duplicates", headers=supervisor)
    assert found.status_code == 200 and [d["code"] for d in found.json()] == [second["code"]]
