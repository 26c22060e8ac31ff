"""Retries do not duplicate reports, and a failed write leaves neither report nor photos."""

from concurrent.futures import ThreadPoolExecutor

from api.photos.storage import PhotoFile
from tests.factories import auth_headers, image_bytes, new_uid, photo_files, report_form


def post(client, uid, key, form=None, files=None):
    return client.post(
        "/v1/reports",
        data=form or report_form(),
        files=files or photo_files(image_bytes()),
        headers=auth_headers(uid, **{"Idempotency-Key": key}),
    )


def test_same_key_returns_the_original_response_and_creates_nothing(client, sync_db):
    uid = new_uid()
    first = post(client, uid, "k-1")
    again = post(client, uid, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert sync_db.reports.count_documents({"resident_uid": uid}) == 1
    assert sync_db["photos.files"].count_documents({}) == 2  # one photo: display + thumbnail


def test_same_key_with_a_different_body_is_409(client, sync_db):
    uid = new_uid()
    assert post(client, uid, "k-2").status_code == 201
    response = post(client, uid, "k-2", form=report_form(description="Một nội dung khác"))
    assert response.status_code == 409 and response.json()["code"] == "idempotency_conflict"
    different_photo = post(client, uid, "k-2", files=photo_files(image_bytes(seed=9)))
    assert different_photo.status_code == 409
    assert sync_db.reports.count_documents({"resident_uid": uid}) == 1


def test_keys_belong_to_one_resident(client, sync_db):
    assert post(client, new_uid(), "shared").status_code == 201
    other = post(client, new_uid(), "shared")
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert sync_db.reports.count_documents({}) == 2


def test_replay_survives_a_service_restart(make_client, sync_db):
    uid = new_uid()
    first = post(make_client(), uid, "k-restart")
    after_restart = post(make_client(), uid, "k-restart")  # a new app instance over the same database
    assert after_restart.json() == first.json()
    assert sync_db.reports.count_documents({"resident_uid": uid}) == 1


def test_concurrent_retries_create_one_report(client, sync_db):
    uid = new_uid()
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: post(client, uid, "k-race"), range(4)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sync_db.reports.count_documents({"resident_uid": uid}) == 1
    assert sync_db["photos.files"].count_documents({}) == 2


def test_invalid_key_is_400(client):
    response = post(client, new_uid(), "x" * 201)
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_invalid"


def test_failed_report_write_leaves_no_orphan_photo(client, sync_db, fail_next_commit):
    uid = new_uid()
    response = post(client, uid, "k-fail", files=photo_files(image_bytes(), image_bytes(seed=2)))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert sync_db.reports.count_documents({}) == 0
    assert sync_db["photos.files"].count_documents({}) == 0
    assert sync_db["photos.chunks"].count_documents({}) == 0
    assert sync_db.idempotency_keys.count_documents({}) == 0
    retry = post(client, uid, "k-fail", files=photo_files(image_bytes(), image_bytes(seed=2)))
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers


def test_sweep_settles_photos_an_earlier_version_left_pending(make_client, sync_db):
    """Before 2026-11-30 photos were stored pending ahead of their report's transaction and
    committed after it; a crash in between left them pending."""
    client = make_client(orphan_photo_grace_s=0)
    kept = post(client, new_uid(), "k-kept")
    crashed_report_id = "aaaaaaaaaaaaaaaaaaaaaaaa"  # its process died after uploading, before writing
    client.portal.call(
        lambda: client.app.state.photo_store.put(
            [PhotoFile("0123456789abcdef01234567", "display", b"\xff\xd8")],
            report_id=crashed_report_id,
            content_type="image/jpeg",
        )
    )
    sync_db["photos.files"].update_many(
        {"metadata.report_id": {"$in": [kept.json()["id"], crashed_report_id]}}, {"$set": {"metadata.committed": False}}
    )
    assert client.portal.call(client.app.state.worker.jobs["orphan_photos"]) == 1
    assert sync_db["photos.files"].count_documents({"metadata.report_id": crashed_report_id}) == 0
    assert sync_db["photos.files"].count_documents({"metadata.committed": True}) == 2  # the real report's kept
