"""The database goes away and comes back: fast 503s, readiness red, nothing half-written, self-recovery."""

import time

import pytest
from pymongo import MongoClient

from core.db import TRANSACTION_TIME_LIMIT_S
from tests.factories import auth_headers, file_report, image_bytes, new_uid, photo_files, report_form

pytestmark = pytest.mark.slow  # starts its own database process (own_mongo)

FAIL_FAST_S = 5.0


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_503(response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["retry-after"]
    assert elapsed < FAIL_FAST_S, f"took {elapsed:.1f}s"


def test_outage_fails_fast_and_the_service_recovers_by_itself(make_client, settings, own_mongo):
    client = make_client(settings.model_copy(update={"mongodb_uri": own_mongo.uri, "database_timeout_ms": 1500}))
    before = file_report(client, "Cây đổ chắn ngang đường Phan Đình Phùng")
    uid = new_uid()
    port, data_dir = own_mongo.port, own_mongo.data_dir

    own_mongo.stop()
    _assert_503(*_timed(lambda: client.get("/readyz")))
    _assert_503(*_timed(lambda: client.get("/v1/reports/mine", headers=auth_headers(before["_author"]))))
    _assert_503(
        *_timed(
            lambda: client.post(
                "/v1/reports", data=report_form(), headers=auth_headers(uid), files=photo_files(image_bytes())
            )
        )
    )
    assert client.get("/healthz").status_code == 200  # alive, only not ready

    own_mongo.start()  # the same port and the same files: a restart, not a new database
    assert (own_mongo.port, own_mongo.data_dir) == (port, data_dir)
    deadline = time.monotonic() + 20
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the service did not recover"
        time.sleep(0.2)
    after = client.post("/v1/reports", data=report_form(), headers=auth_headers(uid))
    assert after.status_code == 201
    with MongoClient(own_mongo.uri) as mongo:
        db = mongo[settings.database_name]
        assert sorted(r["code"] for r in db.reports.find()) == sorted([before["code"], after.json()["code"]])
        assert db["photos.files"].count_documents({}) == 0  # the refused upload left nothing


def test_a_database_that_keeps_failing_commits_gets_a_503_within_the_time_limit(make_client, settings, own_mongo):
    client = make_client(settings.model_copy(update={"mongodb_uri": own_mongo.uri}))
    with MongoClient(own_mongo.uri) as admin:
        # ShutdownInProgress on every commit: PyMongo would retry it for 120 s without our limit.
        admin.admin.command(
            "configureFailPoint",
            "failCommand",
            mode="alwaysOn",
            data={"failCommands": ["commitTransaction"], "errorCode": 91},
        )
        try:
            response, elapsed = _timed(
                lambda: client.post(
                    "/v1/reports", data=report_form(), headers=auth_headers(new_uid()), files=photo_files(image_bytes())
                )
            )
        finally:
            admin.admin.command("configureFailPoint", "failCommand", mode="off")
        db = admin[settings.database_name]
        assert response.status_code == 503, response.text
        assert elapsed < TRANSACTION_TIME_LIMIT_S + 5  # the photo pipeline and the classifier come first
        assert db.reports.count_documents({}) == 0
        assert db.idempotency_keys.count_documents({}) == 0
        assert db["photos.files"].count_documents({}) == 0 and db["photos.chunks"].count_documents({}) == 0
