"""Reports acknowledged with 201 survive the database process being killed (SIGKILL) and restarted."""

import pytest
from pymongo import MongoClient

from tests.factories import auth_headers, new_uid, report_form

pytestmark = pytest.mark.slow  # starts and crashes its own database process (own_mongo)


def test_acknowledged_reports_survive_a_database_crash(make_client, settings, own_mongo):
    client = make_client(settings.model_copy(update={"mongodb_uri": own_mongo.uri}))
    uid = new_uid()
    acknowledged = []
    for i in range(12):
        response = client.post(
            "/v1/reports", data=report_form(description=f"Ổ gà số {i} trên phố Bà Triệu"), headers=auth_headers(uid)
        )
        assert response.status_code == 201
        acknowledged.append(response.json()["code"])

    own_mongo.kill()  # SIGKILL: no checkpoint, no clean close; only what the journal holds
    own_mongo.start()
    with MongoClient(own_mongo.uri) as mongo:
        stored = {r["code"] for r in mongo[settings.database_name].reports.find({"resident_uid": uid}, {"code": 1})}
    assert stored == set(acknowledged)
    assert client.get("/v1/reports/mine", headers=auth_headers(uid)).json()["items"][0]["code"] == acknowledged[-1]
