"""Device registration: ownership follows the latest sign-in, ten phones at most."""

from tests.factories import auth_headers, new_uid


def token(n: int) -> str:
    return f"fcm-token-{n:04d}-" + "x" * 40


def register(client, uid, n, **fields):
    body = {"token": token(n), "platform": "android", "locale": "vi", **fields}
    return client.post("/v1/devices", json=body, headers=auth_headers(uid))


def test_register_and_unregister(client, sync_db):
    uid = new_uid()
    response = register(client, uid, 1, ward="00070", locale="en", platform="ios")
    assert response.status_code == 201 and response.json()["ward"] == "00070"
    assert sync_db.devices.find_one({"_id": token(1)})["resident_uid"] == uid
    assert client.delete(f"/v1/devices/{token(1)}", headers=auth_headers(uid)).status_code == 204
    assert sync_db.devices.count_documents({}) == 0


def test_re_registering_moves_the_token_to_the_latest_resident(client, sync_db):
    first, second = new_uid(), new_uid()
    register(client, first, 7)
    register(client, second, 7)
    assert sync_db.devices.find_one({"_id": token(7)})["resident_uid"] == second
    assert client.delete(f"/v1/devices/{token(7)}", headers=auth_headers(first)).status_code == 404
    assert sync_db.devices.count_documents({}) == 1


def test_eleventh_device_drops_the_oldest(client, sync_db):
    uid = new_uid()
    for n in range(11):
        assert register(client, uid, n).status_code == 201
    kept = {d["_id"] for d in sync_db.devices.find({"resident_uid": uid})}
    assert len(kept) == 10 and token(0) not in kept and token(10) in kept


def test_bad_registrations_are_422(client):
    uid = new_uid()
    assert register(client, uid, 1, platform="symbian").status_code == 422
    assert register(client, uid, 1, locale="fr").status_code == 422
    assert register(client, uid, 1, ward="Hoàn Kiếm").status_code == 422
    bad_token = client.post("/v1/devices", json={"token": {"$gt": ""}, "platform": "ios"}, headers=auth_headers(uid))
    assert bad_token.status_code == 422


def test_someone_elses_token_cannot_be_deleted(client, sync_db):
    register(client, new_uid(), 3)
    assert client.delete(f"/v1/devices/{token(3)}", headers=auth_headers(new_uid())).status_code == 404
    assert sync_db.devices.count_documents({}) == 1
