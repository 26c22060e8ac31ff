"""GET requests: the spec's filters, the 90-day default window, index-served queries, public media."""

from datetime import UTC, datetime, timedelta

import pytest
from defusedxml.ElementTree import fromstring

from api.open311.mapping import PROJECTION
from api.reports.repository import ReportRepository
from tests.factories import (
    auth_headers,
    file_report,
    image_bytes,
    move_status,
    new_uid,
    photo_files,
    report_form,
    resolve,
    run_job,
    staff_headers,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

BASE = "/open311/v2"
GARBAGE = "Rác thải sinh hoạt đổ đống bốc mùi trước chợ, lâu ngày không được thu gom."
POTHOLE = "Ổ gà lớn giữa đường, xe máy bị ngã liên tục, đề nghị vá đường gấp."


def listed(client, query="", fmt="json"):
    response = client.get(f"{BASE}/requests.{fmt}{query}")
    assert response.status_code == 200, response.text
    return response.json() if fmt == "json" else fromstring(response.content)


def codes(items):
    return [item["service_request_id"] for item in items]


def test_filters_by_status_service_code_and_ids(client):
    garbage = file_report(client, GARBAGE)
    pothole = file_report(client, POTHOLE)
    resolve(client, garbage["id"], garbage["routing"]["agency"])

    everything = listed(client)
    assert codes(everything) == [pothole["code"], garbage["code"]]  # newest first
    closed = listed(client, "?status=closed")
    assert codes(closed) == [garbage["code"]]
    assert closed[0]["status_notes"] == "Đã xử lý xong"  # the agency's public note when resolving
    assert closed[0]["expected_datetime"] is None
    assert codes(listed(client, "?status=open")) == [pothole["code"]]
    assert codes(listed(client, "?status=open,closed")) == codes(everything)
    assert codes(listed(client, "?service_code=waste_sanitation")) == [garbage["code"]]
    assert codes(listed(client, "?service_code=waste_sanitation&status=open")) == []
    by_ids = listed(client, f"?service_request_id={garbage['code']},{pothole['code']}&status=closed")
    assert sorted(codes(by_ids)) == sorted([garbage["code"], pothole["code"]])  # ids override other filters

    root = listed(client, "?status=closed", fmt="xml")
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [garbage["code"]]
    assert root.findtext("request/status_notes") == "Đã xử lý xong"


def test_a_report_awaiting_triage_is_listed_under_the_requesters_pick(client, sync_db):
    report = file_report(client, "asdf qwer zxcv", category="noise")
    sync_db.reports.update_one({"code": report["code"]}, {"$set": {"category": None, "status": "received"}})
    [item] = listed(client, "?service_code=noise")
    assert item["service_request_id"] == report["code"] and item["service_code"] == "noise"


def test_latest_public_reply_is_the_status_note(client):
    report = file_report(client, POTHOLE)
    staff = staff_headers("agency_staff", report["routing"]["agency"])
    client.post(
        f"/v1/triage/reports/{report['id']}/notes",
        json={"text": "Đội sửa chữa sẽ đến trong tuần.", "public": True},
        headers=staff,
    )
    client.post(f"/v1/triage/reports/{report['id']}/notes", json={"text": "nội bộ: thiếu nhựa đường"}, headers=staff)
    [item] = listed(client)
    assert item["status_notes"] == "Đội sửa chữa sẽ đến trong tuần."


def test_a_residents_reopen_reason_is_not_published(client):
    """The reason is addressed to the agency and may say where the resident lives or how to call them."""
    report = file_report(client, POTHOLE)
    resolve(client, report["id"], report["routing"]["agency"])
    reason = "Vẫn còn ổ gà trước nhà tôi số 7, gọi 0987654321"
    reopened = client.post(
        f"/v1/reports/{report['id']}/reopen", json={"reason": reason}, headers=auth_headers(report["_author"])
    )
    assert reopened.status_code == 200
    [item] = listed(client)
    assert item["status"] == "open" and item["status_notes"] == "Đã xử lý xong"  # the agency's note still shows
    assert reason not in "".join(listed(client, fmt="xml").itertext())


def test_default_window_is_90_days_and_dates_filter(client, sync_db):
    old = file_report(client, POTHOLE)
    recent = file_report(client, GARBAGE)
    long_ago = datetime.now(UTC) - timedelta(days=100)
    sync_db.reports.update_one({"code": old["code"]}, {"$set": {"created_at": long_ago}})

    assert codes(listed(client)) == [recent["code"]]
    start, end = long_ago - timedelta(days=1), long_ago + timedelta(days=1)
    window = f"?start_date={start:%Y-%m-%dT%H:%M:%SZ}&end_date={end:%Y-%m-%dT%H:%M:%S}%2B00:00"
    assert codes(listed(client, window)) == [old["code"]]
    since_yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert codes(listed(client, f"?start_date={since_yesterday}")) == [recent["code"]]


@pytest.mark.parametrize(
    "query, says",
    [
        ("?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "at most 90 days"),
        ("?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date must be after start_date"),
        ("?start_date=yesterday", "start_date must be an ISO 8601 datetime"),
        ("?end_date=0001-01-01T00:00:00%2B14:00", "end_date must be an ISO 8601 datetime"),
        ("?status=pending", "status must be open or closed"),
        ("?service_code=potholes_on_mars", "No service with service_code"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_are_the_specs_400(client, query, says, fmt):
    response = client.get(f"{BASE}/requests.{fmt}{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    if fmt == "json":
        assert says in response.json()[0]["description"]
    else:
        assert says in fromstring(response.content).findtext("error/description")


def test_one_unknown_request_is_the_specs_404(client):
    response = client.get(f"{BASE}/requests/HN-2020-999999.xml")
    assert response.status_code == 404
    assert fromstring(response.content).findtext("error/code") == "404"
    assert client.get(f"{BASE}/tokens/not-a-token.json").status_code == 404


def test_every_listing_query_is_index_served(client):
    repo = ReportRepository(client.app.state.db)
    end = datetime.now(UTC)
    for query, index in (
        ({"status": "assigned"}, "listing_status"),
        ({"category": "noise", "status": "assigned"}, "listing_category"),
        ({"category": None, "status": "received"}, "listing_category"),
    ):
        full = {**query, "created_at": {"$gte": end - timedelta(days=90), "$lt": end}}

        async def explain(full=full):
            return await repo._reports.find(full, PROJECTION).sort("created_at", -1).limit(1000).explain()

        winning = str(client.portal.call(explain)["queryPlanner"]["winningPlan"])
        assert f"'indexName': '{index}'" in winning and "COLLSCAN" not in winning, winning


def test_media_url_serves_the_photo_publicly_but_not_a_rejected_reports(client):
    hidden = client.post(
        "/v1/reports",
        data=report_form(description=POTHOLE),
        files=photo_files(image_bytes()),
        headers=auth_headers(new_uid()),
    ).json()  # photos not shared: never public
    created = client.post(
        "/v1/reports",
        data=report_form(description=POTHOLE, photos_public="true"),
        files=photo_files(image_bytes()),
        headers=auth_headers(new_uid()),
    ).json()
    run_job(client, "public_photos")  # the worker makes the redacted public copy after commit
    item, unshared = listed(client)
    photo_id = created["photos"][0]["id"]
    assert unshared["media_url"] is None
    assert client.get(f"{BASE}/media/{hidden['photos'][0]['id']}.jpg").status_code == 404
    assert item["media_url"] == f"http://testserver{BASE}/media/{photo_id}.jpg"
    photo = client.get(item["media_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content.startswith(b"\xff\xd8")
    assert client.get(f"/v1/photos/{photo_id}").status_code == 401  # the app's route still needs a token

    triage = staff_headers("triage_officer")
    assert move_status(client, created["id"], "rejected", triage, public_note="Không phải phản ánh").status_code == 200
    assert client.get(item["media_url"]).status_code == 404
    assert [i["media_url"] for i in listed(client)] == [None, None]
    assert client.get(f"{BASE}/media/zzz.jpg").status_code == 404
