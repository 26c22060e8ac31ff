"""Structured logs: one JSON object per line, the request id on every line, no secrets or personal data."""

import io
import json
import logging

import pytest

from core.logs import redact
from tests.factories import auth_headers, dev_token, new_uid, report_form

PHONE, EMAIL = "0912 345 678", "nguyen.van.a@example.com"
FCM_TOKEN = "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx" + "x7Yz_-AbC9" * 12


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_id_is_echoed_and_tags_every_line_of_the_request(client, captured_logs):
    response = client.get("/v1/reports/mine", headers=auth_headers(new_uid(), **{"X-Request-ID": "app-req-12345678"}))
    assert response.headers["x-request-id"] == "app-req-12345678"
    lines = [line for line in _lines(captured_logs) if line["request_id"] == "app-req-12345678"]
    assert any(line["logger"].startswith("pymongo") for line in lines)  # library lines carry it too
    access = [line for line in lines if line["logger"] == "phananh.access"]
    assert len(access) == 1
    assert {k: access[0][k] for k in ("route", "status", "method")} == {
        "route": "/v1/reports/mine",
        "status": 200,
        "method": "GET",
    }
    assert access[0]["duration_ms"] >= 0
    assert set(access[0]) >= {"time", "level", "logger", "message", "request_id", "route", "status", "duration_ms"}


@pytest.mark.parametrize("sent", [None, "short", "has spaces in it!", "x" * 200, "<script>alert(1)</script>"])
def test_missing_or_insane_request_ids_are_replaced(client, sent):
    headers = {"X-Request-ID": sent} if sent else {}
    given = client.get("/healthz", headers=headers).headers["x-request-id"]
    assert given != sent and len(given) == 32 and given.isalnum()


def test_no_tokens_phones_or_emails_reach_the_logs(client, captured_logs):
    token = dev_token(new_uid())
    headers = {"Authorization": f"Bearer {token}"}
    description = f"Ống nước vỡ, gọi {PHONE} hoặc +84 912 345 678, email {EMAIL}"
    assert client.post("/v1/reports", data=report_form(description=description), headers=headers).status_code == 201
    assert (
        client.post("/v1/devices", json={"token": FCM_TOKEN, "platform": "android"}, headers=headers).status_code == 201
    )
    assert client.get("/v1/reports/mine", headers={"Authorization": "Bearer forged.not-a-token"}).status_code == 401
    logging.getLogger("phananh.test").warning(
        "retrying push to %s for %s (Authorization: Bearer %s)", FCM_TOKEN, EMAIL, token
    )
    output = captured_logs.getvalue()
    assert "[email]" in output and "[phone]" in output and "[token]" in output  # they were there, masked
    for secret in (
        token,
        token.split(".")[1],
        FCM_TOKEN,
        FCM_TOKEN.split(":")[1],
        EMAIL,
        PHONE,
        "912 345 678",
        "912345678",
    ):
        assert secret not in output


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("report 65f1c0ffee0123456789abcd took 12.5 ms", True),  # ObjectIds and timings survive
        ("request 3f2b9c1e4d5a46f7a8b9c0d1e2f30415 at 2026-05-01T10:00:00+07:00", True),
        ("coordinates 21.0285, 105.8542", True),
    ],
)
def test_redaction_keeps_ids_dates_and_numbers(text, kept):
    assert (redact(text) == text) is kept
