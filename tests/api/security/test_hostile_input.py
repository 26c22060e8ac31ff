"""Hostile input: operator objects, broken encodings, control characters, huge and exotic text."""

import json

import pytest
from fastapi.params import Body, Form
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ValidationError

from api.app import create_app
from api.input_guard import find_operator_key
from api.reports.schemas import ReportSubmission
from tests.factories import HOAN_KIEM_LAKE, auth_headers, file_report, new_uid, report_form, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

OPERATOR_VALUES = [{"$gt": ""}, {"$ne": None}, {"$where": "sleep(1000)"}, [{"$gt": ""}]]


def _json_body_models(settings) -> list[tuple[str, type[BaseModel]]]:
    """Every route that takes a JSON body, from the router itself: a new endpoint joins automatically."""
    found = []
    for route in iter_route_contexts(create_app(settings).routes):
        body = getattr(route, "body_field", None)
        if body is not None and isinstance(body.field_info, Body) and not isinstance(body.field_info, Form):
            found.append((f"{sorted(route.methods)[0]} {route.path}", body.field_info.annotation))
    return found


def test_every_json_body_model_refuses_operator_objects_in_every_field(settings):
    models = _json_body_models(settings)
    assert len(models) >= 9  # devices, status, assign, category, priority, notes, merge, rating, reopen
    for name, model in [*models, ("POST /v1/reports (form)", ReportSubmission)]:
        for field in model.model_fields:
            for hostile in OPERATOR_VALUES:
                with pytest.raises(ValidationError):
                    model.model_validate({field: hostile})
                    raise AssertionError(f"{name}: field {field} accepted {hostile!r}")


@pytest.mark.parametrize(
    "body",
    [
        {"status": {"$gt": ""}},
        {"status": "in_progress", "$where": "1"},
        {"status": "in_progress", "internal_note": "x", "a.b": 1},
        {"status": "in_progress", "nested": [{"ok": 1}, {"$set": {"resident_uid": "me"}}]},
    ],
)
def test_operator_keys_in_a_json_body_are_422_and_change_nothing(client, sync_db, body):
    report = file_report(client, "Rác thải đổ trộm ở đầu ngõ 12 phố Huế")
    triage = staff_headers("triage_officer")
    etag = client.get(f"/v1/reports/{report['id']}", headers=triage).headers["etag"]
    response = client.post(f"/v1/triage/reports/{report['id']}/status", json=body, headers={**triage, "If-Match": etag})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] in ("field.operator_key", "field.invalid")
    assert sync_db["reports"].find_one({"code": report["code"]})["version"] == 1


@pytest.mark.parametrize("query", ["$where=1", "status[$ne]=closed", "agency.x=1"])
def test_operator_keys_in_the_query_string_are_422(client, query):
    response = client.get(f"/v1/triage/queue?{query}", headers=staff_headers("triage_officer"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "field.operator_key"


def test_operator_text_in_a_query_value_is_only_a_string(client):
    file_report(client, "Đèn đường hỏng cả tuần nay ở phố Tràng Tiền")
    response = client.get("/v1/triage/queue", params={"agency": '{"$gt": ""}'}, headers=staff_headers("triage_officer"))
    assert response.status_code == 200
    assert response.json()["items"] == []  # matched as a literal agency code, which none has


def test_find_operator_key_names_the_path():
    assert find_operator_key({"a": [{"b": 1}, {"c": {"$gt": 1}}]}) == "a.1.c.$gt"
    assert find_operator_key({"a": "$gt", "b": ["x.y"]}) is None  # values are data, not keys


def _raw_form(description: bytes) -> tuple[bytes, str]:
    lat, lng = HOAN_KIEM_LAKE
    boundary = "b0undary"
    parts = [("description", description), ("lat", str(lat).encode()), ("lng", str(lng).encode())]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode() + v + b"\r\n"
            for n, v in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_invalid_utf8_in_a_form_with_c1_bytes_is_refused(client, sync_db):
    """Starlette reads a form field that is not UTF-8 as Latin-1; bytes 0x80-0x9F become C1 controls."""
    body, content_type = _raw_form(b"\xc3\x28 \x80\x9f garbage")
    response = client.post(
        "/v1/reports", content=body, headers={**auth_headers(new_uid()), "Content-Type": content_type}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "field.control_characters"
    assert sync_db["reports"].count_documents({}) == 0


def test_other_invalid_utf8_in_a_form_is_kept_byte_for_byte(client, sync_db):
    raw = b"\xff\xfe\xc3(bad bytes"
    body, content_type = _raw_form(raw)
    response = client.post(
        "/v1/reports", content=body, headers={**auth_headers(new_uid()), "Content-Type": content_type}
    )
    assert response.status_code == 201
    assert sync_db["reports"].find_one()["description"].encode("latin-1") == raw  # lossless, nothing replaced


@pytest.mark.parametrize("raw", [b'{"stars": 5, "comment": "\xff\xfe"}', b'{"stars": 5', b"[" * 200_000])
def test_broken_json_is_a_clean_4xx(client, raw):
    report = file_report(client, "Nắp cống bị mất trên phố Lý Thường Kiệt")
    response = client.post(
        f"/v1/reports/{report['id']}/rating",
        content=raw,
        headers={**auth_headers(report["_author"]), "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b[31m", "\x7f"])
def test_control_characters_in_a_description_are_refused_by_name(client, control):
    response = client.post(
        "/v1/reports", data=report_form(description=f"Ổ gà{control} lớn"), headers=auth_headers(new_uid())
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "description", "code": "field.control_characters", "message": response.json()["errors"][0]["message"]}
    ]


def test_a_one_megabyte_one_line_description_is_a_clean_422(client, sync_db):
    form = report_form(description="ổ gà " * 125_000)  # 1,000,000 UTF-8 bytes on one line, as the app sends it:
    parts = {name: (None, value) for name, value in form.items()}  # multipart, not percent-encoded
    response = client.post("/v1/reports", files=parts, headers=auth_headers(new_uid()))
    assert response.status_code == 422  # the 4000-character cap
    assert response.json()["errors"][0]["code"] == "field.too_long"
    assert sync_db["reports"].count_documents({}) == 0


def test_a_form_field_over_a_megabyte_is_a_clean_400(client, sync_db):
    response = client.post(
        "/v1/reports", data=report_form(description="x" * 2_000_000), headers=auth_headers(new_uid())
    )
    assert response.status_code == 400  # the multipart parser's own 1 MiB cap per text part
    assert response.headers["content-type"] == "application/problem+json"
    assert sync_db["reports"].count_documents({}) == 0


@pytest.mark.parametrize(
    "text",
    [
        "Ổ gà 🕳️🛵💥 trước nhà 👨‍👩‍👧‍👦 số 12",
        "Cống tràn — مياه الصرف تفيض على الطريق — שיטפון ברחוב Hàng Bài",
        "\u202eRTL override\u202c và \u200f ký tự định hướng\u200e",
        "Dòng một\nDòng hai\tcó tab",
    ],
)
def test_exotic_text_round_trips_exactly(client, text):
    report = file_report(client, text)
    assert report["description"] == text
    stored = client.get(f"/v1/reports/{report['id']}", headers=auth_headers(report["_author"])).json()
    assert stored["description"] == text
    assert json.dumps(stored["description"], ensure_ascii=False) == json.dumps(text, ensure_ascii=False)
