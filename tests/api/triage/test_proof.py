"""Staff attachments and the proof rule: photos through the intake pipeline, used once, by their own
report only; resolving a physical problem needs one; the author sees the resolution beside their own photos."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from tests.factories import (
    auth_headers,
    file_report,
    image_bytes,
    move_status,
    new_uid,
    report_form,
    staff_headers,
    upload_attachments,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"  # road_damage -> construction_dept: proof on
KARAOKE = "Quán karaoke hát rất to đến 2 giờ sáng, cả khu phố không ngủ được"  # noise: proof off
AGENCY = "construction_dept"


@pytest.fixture
def staff():
    return staff_headers("agency_staff", AGENCY)


@pytest.fixture
def pothole(client, staff):
    report = file_report(client, POTHOLE)
    assert move_status(client, report["id"], "in_progress", staff).status_code == 200
    return report


def resolve_with(client, report_id, headers, attachments, note="Đã vá xong"):
    return move_status(client, report_id, "resolved", headers, public_note=note, attachments=attachments)


def test_an_upload_goes_through_the_photo_pipeline_and_answers_links(client, pothole, staff, sync_db):
    files = [
        ("files", ("after.jpg", image_bytes(gps=True, seed=3), "image/jpeg")),
        ("files", ("after.png", image_bytes("PNG", seed=4), "image/png")),
    ]
    response = client.post(f"/v1/triage/reports/{pothole['id']}/attachments", files=files, headers=staff)
    assert response.status_code == 201, response.text
    attachments = response.json()["attachments"]
    assert [a["kind"] for a in attachments] == ["photo", "photo"]
    first = attachments[0]
    assert (
        first["url"] == f"/v1/photos/{first['id']}" and first["thumbnail_url"] == f"/v1/photos/{first['id']}/thumbnail"
    )
    shown = client.get(first["url"], headers=staff)  # staff preview it before using it
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(shown.content)).getexif()  # GPS, maker, owner: gone
    assert client.get(first["url"], headers=auth_headers(pothole["_author"])).status_code == 404  # not yet the author's
    assert sync_db.reports.find_one({"code": pothole["code"]})["version"] == 2  # uploading changes no report


@pytest.mark.parametrize(
    "parts, status, code",
    [
        ([], 422, "validation_failed"),  # the field is required
        ([("files", ("x.jpg", image_bytes(seed=n), "image/jpeg")) for n in range(6)], 422, "attachment_count"),
        ([("files", ("report.jpg", b"%PDF-1.7 not a photo", "image/jpeg"))], 415, "photo_unsupported_type"),
    ],
)
def test_uploads_refused(client, pothole, staff, parts, status, code):
    response = client.post(
        f"/v1/triage/reports/{pothole['id']}/attachments",
        files=parts or None,
        data=None if parts else {"x": "1"},
        headers=staff,
    )
    assert response.status_code == status and response.json()["code"] == code


def test_resolving_a_pothole_needs_a_photo_and_nothing_is_written_without_one(client, pothole, staff, sync_db):
    before = sync_db.reports.find_one({"code": pothole["code"]})
    refused = resolve_with(client, pothole["id"], staff, [])
    assert refused.status_code == 422 and refused.json()["code"] == "proof_required"
    assert "ảnh" in refused.json()["detail"]
    english = client.post(
        f"/v1/triage/reports/{pothole['id']}/status",
        json={"status": "resolved", "public_note": "x"},
        headers={**staff, "If-Match": f'"v{before["version"]}"', "Accept-Language": "en"},
    )
    assert english.json()["code"] == "proof_required" and "photo" in english.json()["detail"]
    assert sync_db.reports.find_one({"code": pothole["code"]}) == before


def test_a_noise_report_resolves_without_a_photo(client):
    report = file_report(client, KARAOKE)
    routing = client.get(f"/v1/reports/{report['id']}", headers=staff_headers("admin")).json()["routing"]
    assert routing["category"] == "noise"
    staff = staff_headers("agency_staff", routing["agency"])
    assert move_status(client, report["id"], "in_progress", staff).status_code == 200
    done = resolve_with(client, report["id"], staff, [], note="Đã nhắc nhở chủ quán")
    assert done.status_code == 200, done.text
    assert done.json()["resolution"]["photos"] == []


def test_the_author_sees_the_resolution_beside_their_own_photos(client, staff, sync_db):
    author = new_uid()
    filed = client.post(
        "/v1/reports",
        data=report_form(description=POTHOLE),
        files=[("photos", ("before.jpg", image_bytes(seed=7), "image/jpeg"))],
        headers=auth_headers(author),
    )
    report = filed.json()
    assert move_status(client, report["id"], "in_progress", staff).status_code == 200
    proof = upload_attachments(client, report["id"], staff, count=2)
    assert resolve_with(client, report["id"], staff, proof).status_code == 200
    view = client.get(f"/v1/reports/{report['id']}", headers=auth_headers(author)).json()
    assert len(view["photos"]) == 1  # before
    resolution = view["resolution"]
    assert resolution["note"] == "Đã vá xong" and [p["id"] for p in resolution["photos"]] == proof  # after
    assert resolution["photos"][0]["thumbnail_url"] == f"/v1/photos/{proof[0]}/thumbnail"
    for photo in resolution["photos"]:
        assert client.get(photo["thumbnail_url"], headers=auth_headers(author)).status_code == 200
    staff_view = client.get(f"/v1/reports/{report['id']}", headers=staff).json()
    assert [p["id"] for p in staff_view["status_history"][-1]["photos"]] == proof
    stored = sync_db.reports.find_one({"_id": sync_db.reports.find_one({"code": report["code"]})["_id"]})
    assert stored["attachment_ids"] == proof and stored["status_history"][-1]["attachments"] == proof


def test_an_attachment_of_another_report_an_unknown_one_or_a_used_one_is_refused(client, pothole, staff, sync_db):
    other = file_report(client, POTHOLE)
    foreign = upload_attachments(client, other["id"], staff)
    before = sync_db.reports.find_one({"code": pothole["code"]})
    wrong = resolve_with(client, pothole["id"], staff, foreign)
    assert wrong.status_code == 422 and wrong.json()["code"] == "attachment_other_report"
    unknown = resolve_with(client, pothole["id"], staff, ["0" * 24])
    assert unknown.status_code == 422 and unknown.json()["code"] == "attachment_unknown"
    garbage = resolve_with(client, pothole["id"], staff, ["../../etc/passwd"])
    assert garbage.status_code == 422 and garbage.json()["code"] == "attachment_unknown"
    assert sync_db.reports.find_one({"code": pothole["code"]}) == before  # nothing half-written
    mine = upload_attachments(client, pothole["id"], staff)
    note = client.post(
        f"/v1/triage/reports/{pothole['id']}/notes",
        json={"text": "Ảnh hiện trường", "public": True, "attachments": mine},
        headers=staff,
    )
    assert note.status_code == 200 and note.json()["replies"][-1]["photos"][0]["id"] == mine[0]
    again = resolve_with(client, pothole["id"], staff, mine)
    assert again.status_code == 409 and again.json()["code"] == "attachment_used"
    elsewhere = resolve_with(client, other["id"], staff_headers("admin"), mine)  # used here, so unknown there
    assert elsewhere.status_code in (409, 422)


def test_internal_note_photos_stay_with_the_staff(client, pothole, staff):
    photo = upload_attachments(client, pothole["id"], staff)
    note = client.post(
        f"/v1/triage/reports/{pothole['id']}/notes",
        json={"text": "Ảnh nội bộ", "public": False, "attachments": photo},
        headers=staff,
    )
    assert note.status_code == 200 and note.json()["internal_notes"][-1]["photos"][0]["id"] == photo[0]
    assert client.get(f"/v1/photos/{photo[0]}", headers=staff).status_code == 200
    assert client.get(f"/v1/photos/{photo[0]}", headers=auth_headers(pothole["_author"])).status_code == 404
    unused = upload_attachments(client, pothole["id"], staff, seed=30)
    for staff_only in (photo[0], unused[0]):  # nor through Open311's public media links
        assert client.get(f"/open311/v2/media/{staff_only}.jpg").status_code == 404


def test_reopening_clears_the_resolution_and_a_new_one_replaces_it(client, pothole, staff):
    first = upload_attachments(client, pothole["id"], staff)
    assert resolve_with(client, pothole["id"], staff, first).status_code == 200
    author = auth_headers(pothole["_author"])
    assert (
        client.post(f"/v1/reports/{pothole['id']}/reopen", json={"reason": "Vẫn còn ổ gà"}, headers=author).status_code
        == 200
    )
    assert client.get(f"/v1/reports/{pothole['id']}", headers=author).json()["resolution"] is None
    assert move_status(client, pothole["id"], "in_progress", staff).status_code == 200
    second = upload_attachments(client, pothole["id"], staff, seed=40)
    assert resolve_with(client, pothole["id"], staff, second, note="Đã vá lại").status_code == 200
    resolution = client.get(f"/v1/reports/{pothole['id']}", headers=author).json()["resolution"]
    assert resolution["note"] == "Đã vá lại" and [p["id"] for p in resolution["photos"]] == second


def test_the_sweep_deletes_unused_attachments_and_finishes_used_ones(client, pothole, staff, sync_db):
    unused = upload_attachments(client, pothole["id"], staff)
    used = upload_attachments(client, pothole["id"], staff, seed=20)
    assert resolve_with(client, pothole["id"], staff, used).status_code == 200
    # a crash after the report's commit, before its photos were marked attached
    files = sync_db["photos.files"]
    files.update_many({"metadata.photo_id": used[0]}, {"$set": {"metadata.committed": "unattached"}})
    files.update_many(
        {"metadata.committed": "unattached"}, {"$set": {"uploadDate": datetime.now(UTC) - timedelta(days=2)}}
    )
    assert client.portal.call(client.app.state.worker.jobs["orphan_attachments"]) == 1
    assert files.count_documents({"metadata.photo_id": unused[0]}) == 0
    assert files.count_documents({"metadata.photo_id": used[0], "metadata.committed": True}) == 2
    assert client.get(f"/v1/photos/{used[0]}", headers=auth_headers(pothole["_author"])).status_code == 200
