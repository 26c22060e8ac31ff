"""Reasoned rejections: a reason code from the data table (and where to turn instead for 'not in our
remit'), kept in the history and on the report, shown to the author in their language."""

import pytest

from tests.factories import auth_headers, file_report, move_status, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
AGENCY = "construction_dept"


@pytest.fixture
def staff():
    return staff_headers("agency_staff", AGENCY)


@pytest.fixture
def report(client):
    return file_report(client, POTHOLE)


def reject(client, report_id, headers, **body):
    etag = client.get(f"/v1/reports/{report_id}", headers=headers).headers["etag"]
    return client.post(
        f"/v1/triage/reports/{report_id}/status",
        json={"status": "rejected", "public_note": "Xin cảm ơn", **body},
        headers={**headers, "If-Match": etag},
    )


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "rejection_reason_required"),
        ({"reason_code": ""}, "rejection_reason_required"),
        ({"reason_code": "we_are_busy"}, "rejection_reason_unknown"),
        ({"reason_code": "not_in_remit"}, "rejection_redirect_required"),
        ({"reason_code": "not_in_remit", "redirect": "ministry_of_magic"}, "rejection_redirect_unknown"),
        ({"reason_code": "not_in_remit", "redirect": "ward:99999"}, "rejection_redirect_unknown"),
        ({"reason_code": "duplicate", "redirect": "court"}, "rejection_redirect_not_allowed"),
    ],
)
def test_a_rejection_without_a_valid_reason_is_refused_and_changes_nothing(client, report, staff, sync_db, body, code):
    before = sync_db.reports.find_one({"code": report["code"]})
    refused = reject(client, report["id"], staff, **body)
    assert refused.status_code == 422 and refused.json()["code"] == code
    assert refused.headers["content-type"] == "application/problem+json"
    assert sync_db.reports.find_one({"code": report["code"]}) == before


def test_a_reason_only_goes_with_a_rejection(client, report, staff):
    refused = move_status(client, report["id"], "in_progress", staff, reason_code="duplicate")
    assert refused.status_code == 422 and refused.json()["code"] == "rejection_reason_only_when_rejecting"


def test_the_reason_and_redirect_are_kept_and_shown_in_the_authors_language(client, report, staff, sync_db):
    done = reject(
        client,
        report["id"],
        staff,
        reason_code="not_in_remit",
        redirect="lighting_co",
        public_note="Đèn do chủ đầu tư khu đô thị quản lý",
    )
    assert done.status_code == 200, done.text
    stored = sync_db.reports.find_one({"code": report["code"]})
    assert stored["status_history"][-1]["reason_code"] == "not_in_remit"
    assert stored["status_history"][-1]["redirect"] == "lighting_co"
    assert stored["rejection"]["reason_code"] == "not_in_remit" and stored["rejection"]["redirect"]["kind"] == "agency"
    author = auth_headers(report["_author"])
    vi = client.get(f"/v1/reports/{report['id']}", headers=author).json()["rejection"]
    assert vi["reason"] == "Không thuộc thẩm quyền của cơ quan tiếp nhận"
    assert vi["redirect"] == {
        "code": "lighting_co",
        "kind": "agency",
        "name": "Công ty Chiếu sáng và Thiết bị đô thị Hà Nội",
    }
    assert vi["note"] == "Đèn do chủ đầu tư khu đô thị quản lý"
    en = client.get(f"/v1/reports/{report['id']}", headers={**author, "Accept-Language": "en"}).json()["rejection"]
    assert en["reason"] == "Not within this agency's remit"
    assert en["redirect"]["name"] == "Hanoi Lighting and Urban Equipment Company"


def test_a_private_dispute_may_point_to_a_channel_or_a_ward(client, staff):
    to_court, to_ward = file_report(client, POTHOLE), file_report(client, POTHOLE)
    court = reject(client, to_court["id"], staff, reason_code="private_dispute", redirect="court").json()["rejection"]
    assert court["redirect"] == {"code": "court", "kind": "channel", "name": "Tòa án nhân dân có thẩm quyền"}
    ward_code = to_ward["ward"]["code"]
    ward = reject(client, to_ward["id"], staff, reason_code="private_dispute", redirect=f"ward:{ward_code}")
    assert ward.json()["rejection"]["redirect"]["name"].startswith("UBND ")
    plain = reject(client, file_report(client, POTHOLE)["id"], staff, reason_code="abusive_content")
    assert plain.json()["rejection"]["redirect"] is None
