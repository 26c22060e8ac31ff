"""Area subscriptions: a ward or a circle, at most five, and digests at most once per period."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    HOAN_KIEM_LAKE,
    SON_TAY,
    auth_headers,
    drain_outbox,
    file_report,
    new_uid,
    register_device,
    resolve,
    run_job,
    staff_headers,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

AGENCY = "construction_dept"
POTHOLE = "Ổ gà rất to giữa đường, xe máy ngã liên tục"


def subscribe(client, uid, body):
    return client.post("/v1/subscriptions", json=body, headers=auth_headers(uid))


def test_a_resident_keeps_at_most_five_areas_and_removes_their_own(client):
    uid, lat, lng = new_uid(), *HOAN_KIEM_LAKE
    created = [subscribe(client, uid, {"lat": lat, "lng": lng, "radius_m": 100 * (i + 1)}) for i in range(4)]
    created.append(subscribe(client, uid, {"ward": "00070"}))
    assert [r.status_code for r in created] == [201] * 5
    assert created[-1].json()["ward_name"] == "Hoàn Kiếm"
    full = subscribe(client, uid, {"ward": "00070"})
    assert full.status_code == 409 and full.json()["code"] == "subscriptions_full"
    listed = client.get("/v1/subscriptions", headers=auth_headers(uid)).json()["items"]
    assert [s["id"] for s in listed] == [r.json()["id"] for r in created]
    assert client.get("/v1/subscriptions", headers=auth_headers(new_uid())).json()["items"] == []
    first = created[0].json()["id"]
    assert client.delete(f"/v1/subscriptions/{first}", headers=auth_headers(new_uid())).status_code == 404
    assert client.delete(f"/v1/subscriptions/{first}", headers=auth_headers(uid)).status_code == 204
    assert subscribe(client, uid, {"ward": "00070"}).status_code == 201  # the freed slot


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ward": "00070", "lat": 21.0, "lng": 105.8, "radius_m": 100},
        {"lat": 21.0285, "lng": 105.8542},
        {"lat": 21.0285, "lng": 105.8542, "radius_m": 1001},
        {"ward": "70"},
        {"ward": {"$ne": 1}},
    ],
)
def test_an_area_is_a_ward_or_a_circle_of_at_most_a_kilometre(client, body):
    assert subscribe(client, new_uid(), body).status_code == 422


def test_unknown_wards_places_outside_hanoi_and_staff_are_refused(client):
    unknown = subscribe(client, new_uid(), {"ward": "99999"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "ward", unknown.text
    lat, lng = (10.7769, 106.7009)
    assert subscribe(client, new_uid(), {"lat": lat, "lng": lng, "radius_m": 500}).status_code == 422
    assert (
        client.post("/v1/subscriptions", json={"ward": "00070"}, headers=staff_headers("leadership")).status_code == 403
    )


def test_a_circle_hears_of_reports_inside_it_only_and_digests_wait_for_the_period(make_client, push_settings, fcm):
    client = make_client(push_settings.model_copy(update={"subscription_digest_s": 3600}))
    near, far = new_uid(), new_uid()
    lat, lng = HOAN_KIEM_LAKE
    near_phone, far_phone = register_device(client, near), register_device(client, far)
    assert subscribe(client, near, {"lat": lat + 0.002, "lng": lng, "radius_m": 300}).status_code == 201  # ~220 m
    assert subscribe(client, far, {"lat": SON_TAY[0], "lng": SON_TAY[1], "radius_m": 1000}).status_code == 201
    first, second = file_report(client, POTHOLE), file_report(client, POTHOLE + " trước chợ")
    resolve(client, first["id"], AGENCY)
    run_job(client, "area_digests")
    assert run_job(client, "digests_sent") == 1
    resolve(client, second["id"], AGENCY)
    run_job(client, "area_digests")
    assert run_job(client, "digests_sent") == 0  # the next digest waits an hour
    drain_outbox(client)
    received = [r["message"] for r in fcm.received if r["message"]["data"]["type"] == "area_digest"]
    assert [(m["token"], m["data"]["codes"]) for m in received] == [(near_phone, first["code"])]
    assert not [m for m in received if m["token"] == far_phone]
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    client.portal.call(client.app.state.db.subscription_digests.update_many, {}, {"$set": {"next_at": an_hour_ago}})
    assert run_job(client, "digests_sent") == 1  # the period is over: the held-back report goes out
    drain_outbox(client)
    received = [r["message"] for r in fcm.received if r["message"]["data"]["type"] == "area_digest"]
    assert [m["data"]["codes"] for m in received] == [first["code"], second["code"]]
