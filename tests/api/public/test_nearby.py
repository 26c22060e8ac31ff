"""The nearby map and area digests, end to end: what a neighbour sees, follows and hears (issue 18)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from api.geo import public_location
from tests.factories import (
    HOAN_KIEM_LAKE,
    auth_headers,
    drain_outbox,
    file_report,
    image_bytes,
    mapped_report,
    new_uid,
    photo_files,
    register_device,
    report_form,
    resolve,
    run_job,
    staff_headers,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

AGENCY = "construction_dept"
EXACT = (21.028517, 105.854203)  # the author's fix, off the public grid
ADDRESS = "Nhà số 7, ngõ 12 phố Hàng Bài"
POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục. Gọi tôi 0912 345 678 hoặc lan@example.vn"
PRIVATE = "Ổ gà sâu ngay trước cửa nhà tôi trên phố Hàng Bài, xe máy ngã; xin đừng công khai tên tôi"
SCHEMA = Path(__file__).resolve().parents[3] / "mobile_contracts" / "push" / "area_digest.schema.json"


def nearby(client, uid, lat=HOAN_KIEM_LAKE[0], lng=HOAN_KIEM_LAKE[1], **query):
    params = {"lat": lat, "lng": lng, "radius_m": 300, **query}
    response = client.get("/v1/reports/nearby", params=params, headers=auth_headers(uid))
    assert response.status_code == 200, response.text
    return response.json()


def digests(fcm, token):
    return [
        r["message"]
        for r in fcm.received
        if r["message"].get("token") == token and r["message"]["data"]["type"] == "area_digest"
    ]


def test_a_neighbour_sees_follows_and_hears_of_a_public_report_but_never_a_private_one(push_client, fcm):
    client, author, neighbour = push_client, new_uid(), new_uid()
    lat, lng = EXACT
    public = client.post(
        "/v1/reports",
        data=report_form(description=POTHOLE, lat=lat, lng=lng, address=ADDRESS, category="road_damage"),
        headers=auth_headers(author),
    )
    assert public.status_code == 201 and public.json()["visibility"] == "public"
    public = public.json()
    # the residents' pick routes both to AGENCY even when the model is unsure (routing rule 2)
    private = file_report(
        client, PRIVATE, lat=lat, lng=lng, address=ADDRESS, visibility="private", category="road_damage"
    )
    assert private["visibility"] == "private"
    phone = register_device(client, neighbour)
    assert client.post("/v1/subscriptions", json={"ward": "00070"}, headers=auth_headers(neighbour)).status_code == 201

    page = nearby(client, neighbour)
    [card] = page["items"]
    assert card["code"] == public["code"] and card["ward"] == {"code": "00070", "name": "Hoàn Kiếm"}
    assert (card["position"]["lat"], card["position"]["lng"]) == public_location(*EXACT)
    assert card["description"] == "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục. Gọi tôi *** hoặc ***"
    assert (card["followers"], card["following"], card["thumbnail_url"]) == (0, False, None)
    text = json.dumps(page, ensure_ascii=False)
    for secret in (
        author,
        private["_author"],
        ADDRESS,
        repr(EXACT[0]),
        repr(EXACT[1]),
        "0912 345 678",
        "lan@example.vn",
    ):
        assert secret not in text
    assert client.post(f"/v1/reports/{private['id']}/follow", headers=auth_headers(neighbour)).status_code == 404

    assert client.post(f"/v1/reports/{public['id']}/follow", headers=auth_headers(neighbour)).status_code == 200
    [card] = nearby(client, neighbour)["items"]
    assert (card["followers"], card["following"]) == (1, True)
    assert nearby(client, new_uid())["items"][0]["following"] is False

    resolve(client, public["id"], AGENCY)
    resolve(client, private["id"], AGENCY)  # private: no subscriber hears of it
    assert run_job(client, "area_digests") == 1 and run_job(client, "digests_sent") == 1
    drain_outbox(client)
    [digest] = digests(fcm, phone)
    jsonschema.validate(digest, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert digest["data"]["codes"] == public["code"] and digest["data"]["report_ids"] == public["id"]
    assert digest["notification"]["title"] == "1 phản ánh trong khu vực bạn theo dõi đã được xử lý"

    another = file_report(client, POTHOLE.replace("Hàng Bài", "Tràng Tiền"))
    resolve(client, another["id"], AGENCY)  # within the digest period: held back, not a second push
    run_job(client, "area_digests")
    assert run_job(client, "digests_sent") == 0
    drain_outbox(client)
    assert len(digests(fcm, phone)) == 1


def test_nearby_pages_newest_first_within_the_radius_and_filters(client):
    lat, lng = HOAN_KIEM_LAKE
    close = [file_report(client, f"Ổ gà số {i} trên phố Hàng Bài", lat=lat + i * 0.0002, lng=lng) for i in range(4)]
    far = file_report(client, "Ổ gà ở Long Biên", lat=lat + 0.004, lng=lng)  # ~445 m north
    viewer = new_uid()
    first = nearby(client, viewer, limit=3)
    second = nearby(client, viewer, limit=3, cursor=first["next_cursor"])
    assert [c["code"] for c in first["items"] + second["items"]] == [r["code"] for r in reversed(close)]
    assert second["next_cursor"] is None
    wide = nearby(client, viewer, radius_m=2000)["items"]
    assert [c["code"] for c in wide] == [far["code"]] + [r["code"] for r in reversed(close)]
    assert nearby(client, viewer, status="resolved")["items"] == []
    assert len(nearby(client, viewer, category="road_damage")["items"]) == 4
    assert nearby(client, viewer, category="noise")["items"] == []


@pytest.mark.parametrize("radius_m", [300, 1500])  # fine cells, area cells
def test_older_reports_are_found_window_after_window_and_paged(client, sync_db, radius_m):
    lat, lng = HOAN_KIEM_LAKE
    now = datetime.now(UTC)
    ages = [timedelta(minutes=5), timedelta(hours=3), timedelta(days=2), timedelta(days=40), timedelta(days=700)]
    sync_db.reports.insert_many(
        [mapped_report(lat + i * 0.0003, lng, now - age, f"HN-2024-{i:06d}") for i, age in enumerate(ages)]
    )
    sync_db.reports.insert_one(mapped_report(lat, lng, now - timedelta(days=1), "HN-2025-999999", visibility="private"))
    seen, cursor = [], None
    for _ in range(len(ages) + 1):
        page = nearby(client, new_uid(), radius_m=radius_m, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [card["code"] for card in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"HN-2024-{i:06d}" for i in range(len(ages))]


def test_nearby_refuses_staff_wide_circles_and_bad_cursors(client):
    lat, lng = HOAN_KIEM_LAKE
    query = {"lat": lat, "lng": lng}
    assert (
        client.get(
            "/v1/reports/nearby", params={**query, "radius_m": 2001}, headers=auth_headers(new_uid())
        ).status_code
        == 422
    )
    assert client.get("/v1/reports/nearby", params=query, headers=staff_headers("triage_officer")).status_code == 403
    assert (
        client.get("/v1/reports/nearby", params={**query, "cursor": "zz"}, headers=auth_headers(new_uid())).status_code
        == 400
    )


def test_shared_photos_get_a_blurred_public_copy_and_staff_can_hide_parts(client, sync_db):
    shared = client.post(
        "/v1/reports",
        data=report_form(description=POTHOLE, photos_public="true"),
        files=photo_files(image_bytes(seed=3)),
        headers=auth_headers(new_uid()),
    ).json()
    unshared = client.post(
        "/v1/reports",
        data=report_form(description=POTHOLE, photos_public="true", visibility="private"),
        files=photo_files(image_bytes(seed=4)),
        headers=auth_headers(new_uid()),
    ).json()
    assert (shared["photos_public"], unshared["photos_public"]) == (True, False)
    viewer = new_uid()
    assert [c["thumbnail_url"] for c in nearby(client, viewer)["items"]] == [None]  # not made yet: intake stays cheap
    assert run_job(client, "public_photos") == 1
    [card] = nearby(client, viewer)["items"]
    photo_id = shared["photos"][0]["id"]
    assert card["thumbnail_url"] == f"/v1/public-photos/{photo_id}/thumbnail"
    thumbnail = client.get(card["thumbnail_url"], headers=auth_headers(viewer))
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\xff\xd8")
    assert client.get(f"/v1/photos/{photo_id}", headers=auth_headers(viewer)).status_code == 404  # the original
    assert (
        client.get(f"/v1/public-photos/{unshared['photos'][0]['id']}", headers=auth_headers(viewer)).status_code == 404
    )

    triage = staff_headers("triage_officer")
    etag = client.get(f"/v1/reports/{shared['id']}", headers=triage).headers["etag"]
    for body in (
        {"part": "photo", "photo_id": photo_id, "reason": "Ảnh có biển số xe"},
        {"part": "description", "reason": "Có thông tin cá nhân"},
    ):
        hidden = client.post(
            f"/v1/triage/reports/{shared['id']}/public-view", json=body, headers={**triage, "If-Match": etag}
        )
        assert hidden.status_code == 200, hidden.text
        etag = hidden.headers["etag"]
    [card] = nearby(client, viewer)["items"]
    assert (card["description"], card["thumbnail_url"]) == (None, None)
    assert client.get(f"/v1/public-photos/{photo_id}", headers=auth_headers(viewer)).status_code == 404
    assert client.get(f"/open311/v2/media/{photo_id}.jpg").status_code == 404
    [listed] = [i for i in client.get("/open311/v2/requests.json").json() if i["service_request_id"] == shared["code"]]
    assert (listed["description"], listed["media_url"]) == ("", None)
    assert client.get(f"/v1/reports/{shared['id']}", headers=triage).json()["description"] == POTHOLE  # staff: whole
    actions = [a["part"] for a in sync_db.audit_log.find({"action": "public_view"})]
    assert actions == ["photo", "description"]
    other = staff_headers("agency_staff", "urenco", **{"If-Match": etag})
    assert (
        client.post(
            f"/v1/triage/reports/{shared['id']}/public-view", json={"part": "replies", "reason": "x"}, headers=other
        ).status_code
        == 404
    )
