"""The resolution push carries its photo, the rejection push its reason: what the FCM stand-in receives
validates against the contract's schema, and the image link really fetches the thumbnail."""

import json
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from tests.factories import (
    auth_headers,
    drain_outbox,
    file_report,
    move_status,
    new_uid,
    register_device,
    staff_headers,
    upload_attachments,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
AGENCY = "construction_dept"
BASE_URL = "https://phananh.example.vn"
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "mobile_contracts" / "push" / "report_update.schema.json").read_text(
        encoding="utf-8"
    )
)


@pytest.fixture
def app(make_client, push_settings):
    return make_client(push_settings.model_copy(update={"public_base_url": BASE_URL}))


def pushes(fcm, token, event):
    return [
        r["message"]
        for r in fcm.received
        if r["message"].get("token") == token and r["message"]["data"]["event"] == event
    ]


def test_the_authors_resolution_push_shows_the_after_photo(app, fcm):
    author, neighbour = new_uid(), new_uid()
    phone, neighbour_phone = register_device(app, author, locale="en"), register_device(app, neighbour)
    report = file_report(app, POTHOLE, uid=author)
    assert app.post(f"/v1/reports/{report['id']}/follow", headers=auth_headers(neighbour)).status_code == 200
    staff = staff_headers("agency_staff", AGENCY)
    assert move_status(app, report["id"], "in_progress", staff).status_code == 200
    proof = upload_attachments(app, report["id"], staff)
    assert move_status(app, report["id"], "resolved", staff, public_note="Đã vá", attachments=proof).status_code == 200
    drain_outbox(app)
    [message] = pushes(fcm, phone, "resolved")
    jsonschema.validate(message, SCHEMA)
    image = message["notification"]["image"]
    assert message["android"]["notification"]["image"] == image == message["apns"]["fcm_options"]["image"]
    assert message["apns"]["payload"]["aps"]["mutable-content"] == 1
    link = urlsplit(image)
    assert f"{link.scheme}://{link.netloc}" == BASE_URL and link.path == f"/v1/photos/{proof[0]}/thumbnail"
    fetched = app.get(f"{link.path}?{link.query}")  # as the phone does: no token
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"
    assert fetched.content == app.get(f"/v1/photos/{proof[0]}/thumbnail", headers=auth_headers(author)).content
    [follower] = pushes(fcm, neighbour_phone, "resolved")
    jsonschema.validate(follower, SCHEMA)
    assert "image" not in follower["notification"] and "fcm_options" not in follower["apns"]  # the author's photo link


def test_the_rejection_push_names_the_reason_and_where_to_turn(app, fcm):
    author = new_uid()
    phone_vi, phone_en = register_device(app, author), register_device(app, author, locale="en")
    report = file_report(app, POTHOLE, uid=author)
    staff = staff_headers("agency_staff", AGENCY)
    assert (
        move_status(
            app,
            report["id"],
            "rejected",
            staff,
            public_note="Đèn do chủ đầu tư quản lý",
            reason_code="not_in_remit",
            redirect="lighting_co",
        ).status_code
        == 200
    )
    drain_outbox(app)
    [vi], [en] = pushes(fcm, phone_vi, "rejected"), pushes(fcm, phone_en, "rejected")
    for message in (vi, en):
        jsonschema.validate(message, SCHEMA)
        assert "image" not in message["notification"]
    assert vi["notification"]["body"] == (
        "Lý do: Không thuộc thẩm quyền của cơ quan tiếp nhận. Vui lòng liên hệ: "
        "Công ty Chiếu sáng và Thiết bị đô thị Hà Nội. Đèn do chủ đầu tư quản lý"
    )
    assert en["notification"]["body"].startswith(
        "Reason: Not within this agency's remit. Please turn to: Hanoi Lighting"
    )
