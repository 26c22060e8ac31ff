"""Every bad input gets a clear, translated problem+json and leaves nothing written."""

import io

import pytest
from PIL import Image

from tests.factories import HO_CHI_MINH_CITY, auth_headers, dev_token, image_bytes, new_uid, photo_files, report_form

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset


def post(client, form, files=(), headers=None):
    return client.post("/v1/reports", data=form, files=list(files), headers=headers or auth_headers(new_uid()))


def assert_nothing_written(sync_db):
    assert sync_db.reports.count_documents({}) == 0
    assert sync_db["photos.files"].count_documents({}) == 0
    assert sync_db["photos.chunks"].count_documents({}) == 0


def field_errors(response):
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"]: e for e in response.json()["errors"]}


@pytest.mark.parametrize(
    "form, field",
    [
        (report_form(description=None), "description"),
        (report_form(description="   "), "description"),
        (report_form(description="x" * 4001), "description"),
        (report_form(lat="abc"), "lat"),
        (report_form(lng="nan"), "lng"),
        (report_form(lat="inf"), "lat"),
        (report_form(lat=None), "lat"),
        (report_form(lat=91), "lat"),
        (report_form(lat=HO_CHI_MINH_CITY[0], lng=HO_CHI_MINH_CITY[1]), "lat"),
        (report_form(lat=21.0, lng=106.5), "lat"),  # inside Hanoi's bounding box, outside its outline
        (report_form(category="potholes"), "category"),
        (report_form(description="ổ gà\x00\x07"), "description"),
        (report_form(accuracy_m=-3), "accuracy_m"),
    ],
)
def test_bad_fields_are_listed(client, sync_db, form, field):
    response = post(client, form)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert_nothing_written(sync_db)


def test_description_of_exactly_4000_characters_is_accepted(client):
    assert post(client, report_form(description="đ" * 4000)).status_code == 201


def test_validation_messages_are_vietnamese_by_default_and_english_on_request(client):
    vi = post(client, report_form(description=None))
    en = post(
        client, report_form(description=None), headers=auth_headers(new_uid(), **{"Accept-Language": "en-US,en;q=0.9"})
    )
    assert vi.json()["title"] == "Dữ liệu gửi lên không hợp lệ." and vi.headers["content-language"] == "vi"
    assert field_errors(vi)["description"]["message"] == "Thiếu trường bắt buộc."
    assert en.json()["title"] == "Some fields are invalid." and en.headers["content-language"] == "en"
    assert field_errors(en)["description"]["message"] == "This field is required."


def test_six_photos_are_refused(client, sync_db):
    response = post(client, report_form(), photo_files(*[image_bytes(seed=i) for i in range(6)]))
    assert response.status_code == 422
    assert "photos" in field_errors(response)
    assert_nothing_written(sync_db)


def test_pdf_renamed_jpg_is_unsupported_media_type(client, sync_db):
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"
    response = post(client, report_form(), photo_files(image_bytes(), pdf, name="scan.jpg"))
    assert response.status_code == 415
    assert "1-scan.jpg" in response.json()["detail"]
    assert_nothing_written(sync_db)


def test_decompression_bomb_png_is_refused_before_decoding(client, sync_db):
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG", optimize=True)
    assert len(bomb.getvalue()) < 100_000
    response = post(client, report_form(), photo_files(bomb.getvalue(), name="bomb.png", content_type="image/png"))
    assert response.status_code == 413
    assert response.json()["code"] == "photo_too_many_pixels"
    assert_nothing_written(sync_db)


def test_truncated_jpeg_is_refused(client, sync_db):
    whole = image_bytes(size=(1200, 900))
    response = post(client, report_form(), photo_files(whole[: len(whole) // 2]))
    assert response.status_code == 422
    assert response.json()["code"] == "photo_corrupt"
    assert_nothing_written(sync_db)


@pytest.mark.parametrize(
    "limit, size, code",
    [
        ({"max_photo_bytes": 50_000}, 60_000, "photo_too_large"),  # one photo over its cap
        ({"max_body_bytes": 200_000}, 300_000, "body_too_large"),  # the whole body, refused from Content-Length
    ],
)
def test_oversized_uploads_are_413(make_client, sync_db, limit, size, code):
    client = make_client(**limit)
    response = post(client, report_form(), photo_files(b"\xff\xd8" + b"\x00" * size))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert_nothing_written(sync_db)


def test_missing_token_is_401(client, sync_db):
    response = client.post("/v1/reports", data=report_form())
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthenticated"
    assert_nothing_written(sync_db)


def test_expired_token_is_401(client, sync_db):
    token = dev_token(new_uid(), issued_at=1_700_000_000, lifetime_s=3600)
    response = client.post(
        "/v1/reports", data=report_form(), headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "expired" in response.json()["detail"]
    assert_nothing_written(sync_db)


def test_garbage_token_is_401(client):
    response = client.get("/v1/reports/mine", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_rate_limit_answers_429_with_retry_after(make_client):
    client = make_client(report_rate_limit=2)
    headers = auth_headers(new_uid())
    assert [post(client, report_form(), headers=headers).status_code for _ in range(3)] == [201, 201, 429]
    refused = post(client, report_form(), headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert refused.json()["code"] == "too_many_requests"
    assert post(client, report_form()).status_code == 201  # another resident is not affected
