"""Pushes for real: report changes -> outbox -> dispatcher -> firebase-admin -> local FCM stand-in."""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest
from pymongo import AsyncMongoClient

from api.worker import build_dispatcher
from bench.fcm_stand_in import Failure
from core.db import make_client
from notifications.setup import build_sender
from tests.factories import (
    appeal,
    auth_headers,
    decide_appeal,
    drain_outbox,
    file_report,
    move_status,
    new_uid,
    register_device,
    reject,
    resolve,
    staff_headers,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
AGENCY = "construction_dept"
SCHEMAS = Path(__file__).resolve().parents[2] / "mobile_contracts" / "push"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def to_token(fcm, token):
    return [r["message"] for r in fcm.received if r["message"].get("token") == token]


def test_a_resident_hears_each_step_of_their_report_in_their_language(push_client, fcm, sync_db):
    uid = new_uid()
    phone_vi, phone_en = register_device(push_client, uid), register_device(push_client, uid, locale="en")
    report = file_report(push_client, POTHOLE, uid=uid)
    staff = resolve(push_client, report["id"], AGENCY)
    push_client.post(
        f"/v1/triage/reports/{report['id']}/notes", json={"text": "Nội bộ: gọi đội 3", "public": False}, headers=staff
    )
    drain_outbox(push_client)
    vi, en = to_token(fcm, phone_vi), to_token(fcm, phone_en)
    assert [m["data"]["event"] for m in vi] == ["received", "in_progress", "resolved"]  # no push for internal notes
    assert [m["data"]["version"] for m in vi] == sorted((m["data"]["version"] for m in vi), key=int)
    assert vi[0]["notification"]["body"] == "Cảm ơn bạn! Phản ánh đã được chuyển tới Sở Xây dựng Hà Nội."
    assert en[2]["notification"] == {"title": f"Report {report['code']} resolved", "body": "Đã xử lý xong"}
    for message in vi + en:
        jsonschema.validate(message, schema("report_update"))
        assert message["android"]["collapse_key"] == f"report-{report['id']}"
    assert not fcm.refused and fcm.token_requests >= 1  # a real OAuth token was fetched and checked
    assert sync_db.outbox.count_documents({"kind": "report", "state": "sent"}) == 3


def test_followers_hear_status_only_and_replies_go_to_the_author_alone(push_client, fcm):
    author, neighbour = new_uid(), new_uid()
    author_phone, neighbour_phone = register_device(push_client, author), register_device(push_client, neighbour)
    report = file_report(push_client, POTHOLE, uid=author)
    assert push_client.post(f"/v1/reports/{report['id']}/follow", headers=auth_headers(neighbour)).status_code == 200
    staff = staff_headers("agency_staff", AGENCY)
    assert (
        push_client.post(
            f"/v1/triage/reports/{report['id']}/notes", json={"text": "Mai đội sẽ tới", "public": True}, headers=staff
        ).status_code
        == 200
    )
    assert (
        move_status(
            push_client, report["id"], "rejected", staff, public_note="Thuộc dự án, số ĐT 0912345678"
        ).status_code
        == 200
    )
    drain_outbox(push_client)
    assert [m["data"]["event"] for m in to_token(fcm, author_phone)] == ["received", "reply", "rejected"]
    neighbour_heard = to_token(fcm, neighbour_phone)
    assert [m["data"]["event"] for m in neighbour_heard] == ["rejected"]
    assert "0912345678" not in json.dumps(neighbour_heard, ensure_ascii=False)


def test_no_change_no_event(push_client, fcm, sync_db, fail_next_commit):
    """The commit of an intake fails: neither the report nor its event exists, nothing is pushed."""
    response = push_client.post(
        "/v1/reports",
        data={"description": POTHOLE, "lat": "21.0285", "lng": "105.8542"},
        headers=auth_headers(new_uid()),
    )
    assert response.status_code == 500
    assert sync_db.reports.count_documents({}) == 0 and sync_db.outbox.count_documents({}) == 0
    assert drain_outbox(push_client) == 0 and fcm.received == []


def test_a_refused_change_writes_no_event(push_client, sync_db):
    report = file_report(push_client, POTHOLE)
    staff = staff_headers("agency_staff", AGENCY)
    stale = push_client.post(
        f"/v1/triage/reports/{report['id']}/status",
        json={"status": "in_progress"},
        headers={**staff, "If-Match": '"v99"'},
    )
    assert stale.status_code == 412
    assert sync_db.outbox.count_documents({"kind": "report"}) == 1  # only "received"


def test_unregistered_tokens_are_deleted_and_not_retried(push_client, fcm, sync_db):
    uid = new_uid()
    gone, alive = register_device(push_client, uid), register_device(push_client, uid)
    drain_outbox(push_client)
    fcm.always_fail(gone, Failure("UNREGISTERED"))
    file_report(push_client, POTHOLE, uid=uid)
    drain_outbox(push_client)
    assert sync_db.devices.find_one({"_id": gone}) is None and sync_db.devices.find_one({"_id": alive})
    assert len(to_token(fcm, alive)) == 1
    assert sync_db.outbox.find_one({"kind": "report"})["state"] == "sent"


def test_unavailable_is_retried_after_retry_after_for_the_failed_tokens_only(push_client, fcm, sync_db):
    uid = new_uid()
    flaky, fine = register_device(push_client, uid), register_device(push_client, uid)
    drain_outbox(push_client)
    fcm.fail_next(Failure("UNAVAILABLE", retry_after_s=1), token=flaky)
    file_report(push_client, POTHOLE, uid=uid)
    drain_outbox(push_client)
    event = sync_db.outbox.find_one({"kind": "report"})
    assert event["state"] == "pending" and event["remaining"] == [flaky] and event["last_error"] == "UNAVAILABLE"
    assert (event["claimable_at"] - event["tried_at"]).total_seconds() >= 1  # Retry-After honoured
    assert drain_outbox(push_client) == 0  # not before its time
    sync_db.outbox.update_one({"_id": event["_id"]}, {"$set": {"claimable_at": event["tried_at"]}})  # time passes
    drain_outbox(push_client)
    assert len(to_token(fcm, flaky)) == 1 and len(to_token(fcm, fine)) == 1  # the fine phone got it once
    assert sync_db.outbox.find_one({"_id": event["_id"]})["state"] == "sent"


def test_a_hung_fcm_call_times_out_and_is_retried(push_client, fcm, sync_db):
    uid = new_uid()
    phone = register_device(push_client, uid)
    drain_outbox(push_client)
    fcm.hang_s = 3  # more than the 2 s client timeout of push_settings
    file_report(push_client, POTHOLE, uid=uid)
    drain_outbox(push_client)
    assert sync_db.outbox.find_one({"kind": "report"})["state"] == "pending"
    fcm.hang_s = 0
    sync_db.outbox.update_many({"kind": "report"}, {"$set": {"claimable_at": sync_db.outbox.find_one()["created_at"]}})
    drain_outbox(push_client)
    assert sync_db.outbox.find_one({"kind": "report"})["state"] == "sent" and to_token(fcm, phone)


def test_after_max_attempts_an_event_is_dead_visible_to_admins_and_redrivable(make_client, push_settings, fcm, sync_db):
    client = make_client(
        push_settings.model_copy(
            update={"outbox_max_attempts": 2, "outbox_backoff_base_s": 0.001, "outbox_backoff_cap_s": 0.001}
        )
    )
    uid = new_uid()
    phone = register_device(client, uid)
    drain_outbox(client)
    fcm.fail_next(Failure("QUOTA_EXCEEDED"), times=2, token=phone)
    report = file_report(client, POTHOLE, uid=uid)
    for _ in range(50):
        drain_outbox(client)
        if sync_db.outbox.find_one({"kind": "report"})["state"] == "dead":
            break
    admin = staff_headers("admin")
    dead = client.get("/v1/admin/outbox?state=dead", headers=admin).json()["items"]
    assert [(d["report_code"], d["last_error"], d["attempts"]) for d in dead] == [(report["code"], "QUOTA_EXCEEDED", 2)]
    assert "token" not in json.dumps(dead) and uid not in json.dumps(dead)
    for role in ("resident", "leadership", "triage_officer"):
        headers = auth_headers(new_uid()) if role == "resident" else staff_headers(role)
        assert client.get("/v1/admin/outbox", headers=headers).status_code == 403
    redriven = client.post(f"/v1/admin/outbox/{dead[0]['id']}/redrive", headers=admin)
    assert redriven.status_code == 200 and redriven.json()["state"] == "pending"
    assert client.post(f"/v1/admin/outbox/{dead[0]['id']}/redrive", headers=admin).status_code == 404  # not dead now
    assert client.post("/v1/admin/outbox/nonsense/redrive", headers=admin).status_code == 404
    drain_outbox(client)
    assert (
        len(to_token(fcm, phone)) == 1
        and client.get("/v1/admin/outbox?state=dead", headers=admin).json()["items"] == []
    )


def test_a_report_s_pushes_wait_for_its_earlier_ones(push_client, fcm, sync_db):
    """The first push fails once; the later status changes must not overtake it."""
    uid = new_uid()
    phone = register_device(push_client, uid)
    drain_outbox(push_client)
    fcm.fail_next(Failure("UNAVAILABLE", retry_after_s=30), token=phone)
    report = file_report(push_client, POTHOLE, uid=uid)
    drain_outbox(push_client)
    resolve(push_client, report["id"], AGENCY)
    assert drain_outbox(push_client) == 0  # received is waiting for its retry: in_progress and resolved wait too
    sync_db.outbox.update_many({}, {"$set": {"claimable_at": sync_db.outbox.find_one()["created_at"]}})
    for _ in range(5):
        drain_outbox(push_client)
    assert [m["data"]["event"] for m in to_token(fcm, phone)] == ["received", "in_progress", "resolved"]


def test_two_dispatchers_push_each_event_once(push_client, push_settings, fcm, sync_db):
    phones = {}
    for _ in range(12):
        uid = new_uid()
        phones[uid] = register_device(push_client, uid)
        file_report(push_client, POTHOLE, uid=uid)

    async def dispatch_until_empty() -> None:
        """Both run until nothing is undelivered: one finding its partitions empty is not the outbox empty."""
        client: AsyncMongoClient = make_client(push_settings.mongodb_uri)
        sender = build_sender(push_settings)
        db = client[push_settings.database_name]
        dispatcher = build_dispatcher(db, push_settings.model_copy(update={"outbox_batch_size": 3}), sender)
        deadline = time.monotonic() + 60
        try:
            while await db.outbox.count_documents({"claimable_at": {"$exists": True}}):
                assert time.monotonic() < deadline, "the two dispatchers did not empty the outbox"
                if not await dispatcher.run_once():
                    await asyncio.sleep(0.05)
        finally:
            await dispatcher.leave()
            await sender.close()
            await client.close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: asyncio.run(dispatch_until_empty()), range(2)))
    pushed = [r["message"]["data"]["event_id"] for r in fcm.received if "token" in r["message"]]
    assert len(pushed) == len(set(pushed)) == 12
    assert sync_db.outbox.count_documents({"state": "sent"}) == sync_db.outbox.count_documents({})


@pytest.mark.parametrize("severity", ["info", "emergency"])
def test_broadcasts_reach_ward_topics_with_the_right_priority(push_client, fcm, severity):
    ward_phone = register_device(push_client, new_uid(), ward="00070")
    drain_outbox(push_client)
    assert fcm.subscriptions["ward-00070-vi"] == {ward_phone} and fcm.subscriptions["all-vi"] == {ward_phone}
    body = {
        "wards": ["00070", "00070"],
        "severity": severity,
        "title": {"vi": "Cảnh báo ngập", "en": "Flood warning"},
        "body": {"vi": "Tránh hầm chui Kim Liên"},
    }
    sent = push_client.post("/v1/broadcasts", json=body, headers=staff_headers("leadership"))
    assert sent.status_code == 201, sent.text
    assert sent.json()["wards"] == ["00070"]
    drain_outbox(push_client)
    messages = {r["message"]["topic"]: r["message"] for r in fcm.received if "topic" in r["message"]}
    assert set(messages) == {"ward-00070-vi", "ward-00070-en"}
    assert messages["ward-00070-en"]["notification"] == {"title": "Flood warning", "body": "Tránh hầm chui Kim Liên"}
    assert all(m["android"]["priority"] == ("high" if severity == "emergency" else "normal") for m in messages.values())
    for message in messages.values():
        jsonschema.validate(message, schema("broadcast"))
    listed = push_client.get("/v1/broadcasts", headers=auth_headers(new_uid())).json()["items"]
    assert [b["id"] for b in listed] == [sent.json()["id"]] and "created_by_uid" not in listed[0]


def test_broadcast_refusals(push_client):
    good = {"wards": "all", "severity": "warning", "title": {"vi": "Bão"}, "body": {"vi": "Ở trong nhà"}}
    assert push_client.post("/v1/broadcasts", json=good, headers=auth_headers(new_uid())).status_code == 403
    assert (
        push_client.post("/v1/broadcasts", json=good, headers=staff_headers("agency_staff", AGENCY)).status_code == 403
    )
    unknown = push_client.post(
        "/v1/broadcasts", json={**good, "wards": ["99999"]}, headers=staff_headers("admin", **{"Accept-Language": "en"})
    )
    assert unknown.status_code == 422 and "99999" in unknown.json()["detail"]
    assert unknown.headers["content-type"] == "application/problem+json"
    for bad in (
        {**good, "wards": []},
        {**good, "severity": "panic"},
        {**good, "title": {"vi": ""}},
        {**good, "wards": ["7"]},
    ):
        assert push_client.post("/v1/broadcasts", json=bad, headers=staff_headers("admin")).status_code == 422
    assert push_client.post("/v1/broadcasts", json=good).status_code == 401


def test_moving_ward_or_removing_a_phone_changes_its_topics(push_client, fcm):
    uid = new_uid()
    phone = register_device(push_client, uid, ward="00070")
    register_device(push_client, uid, token=phone, ward="00076", locale="en")
    drain_outbox(push_client)
    assert {t for t, tokens in fcm.subscriptions.items() if phone in tokens} == {"all-en", "ward-00076-en"}
    assert push_client.delete(f"/v1/devices/{phone}", headers=auth_headers(uid)).status_code == 204
    drain_outbox(push_client)
    assert not any(phone in tokens for tokens in fcm.subscriptions.values())


def test_the_push_log_line_carries_the_id_of_the_request_that_caused_it(push_client, fcm, sync_db, captured_logs):
    uid = new_uid()
    register_device(push_client, uid)
    response = push_client.post(
        "/v1/reports",
        data={"description": POTHOLE, "lat": "21.0285", "lng": "105.8542"},
        headers=auth_headers(uid, **{"X-Request-ID": "app-req-push-0001"}),
    )
    assert response.status_code == 201
    assert sync_db.outbox.find_one({"kind": "report"})["request_id"] == "app-req-push-0001"
    drain_outbox(push_client)
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.strip()]
    pushes = [
        line for line in lines if line["logger"] == "notifications.dispatcher" and "report received" in line["message"]
    ]
    assert [line["request_id"] for line in pushes] == ["app-req-push-0001"]
    assert "1 sent" in pushes[0]["message"]
    assert not any(device in captured_logs.getvalue() for device in sync_db.devices.distinct("_id"))  # tokens redacted


def test_without_credentials_pushes_go_to_the_log_file(client, settings):
    uid = new_uid()
    phone = register_device(client, uid, ward="00070")
    report = file_report(client, POTHOLE, uid=uid)
    drain_outbox(client)
    lines = [json.loads(line) for line in (settings.data_dir / "pushes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["topic"] for line in lines if "topic" in line} == {"all-vi", "ward-00070-vi"}
    pushes = [line["push"] for line in lines if "push" in line]
    assert [(p["token"], p["data"]["code"], p["data"]["event"]) for p in pushes] == [
        (phone, report["code"], "received")
    ]


def test_a_service_account_the_oauth_endpoint_does_not_trust_gets_no_push_through(
    make_client, push_settings, fcm, sync_db, tmp_path
):
    from bench.fcm_stand_in import FcmStandIn

    stranger = FcmStandIn(fcm.project_id).start()  # only to mint a key fcm never issued
    try:
        account = {**stranger.service_account(), "token_uri": f"{fcm.url}/token"}
    finally:
        stranger.stop()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(account))
    client = make_client(push_settings.model_copy(update={"firebase_credentials": forged}))
    register_device(client, new_uid())
    drain_outbox(client)
    assert fcm.token_requests == 0 and not any(fcm.subscriptions.values()) and not fcm.received
    event = sync_db.outbox.find_one({"kind": "topics"})
    assert event["state"] == "pending" and event["last_error"]


def test_the_author_hears_the_decision_on_their_appeal(push_client, fcm, sync_db):
    uid = new_uid()
    phone = register_device(push_client, uid, locale="en")
    report = file_report(push_client, POTHOLE, uid=uid)
    reject(push_client, report["id"], AGENCY)
    assert appeal(push_client, report).status_code == 201
    drain_outbox(push_client)
    assert [m["data"]["event"] for m in to_token(fcm, phone)] == ["received", "rejected"]  # filing: no push
    decided = decide_appeal(push_client, report["id"], staff_headers("triage_officer"), "overturned", "Sẽ xử lý lại")
    assert decided.status_code == 200
    drain_outbox(push_client)
    last = to_token(fcm, phone)[-1]
    jsonschema.validate(last, schema("report_update"))
    assert (last["data"]["event"], last["data"]["status"]) == ("appeal_overturned", "assigned")
    assert last["notification"] == {
        "title": f"Your appeal on report {report['code']} was accepted",
        "body": "The report was handed again to Sở Xây dựng Hà Nội: Sẽ xử lý lại",
    }
