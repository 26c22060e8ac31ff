"""POST /v1/reports: a resident's report is stored whole, once, with clean photos."""

import io

import pytest
from PIL import Image

from tests.factories import (
    HO_CHI_MINH_CITY,
    SON_TAY,
    auth_headers,
    image_bytes,
    new_uid,
    photo_files,
    report_form,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset


def submit(client, uid, form=None, files=None, **headers):
    return client.post(
        "/v1/reports", data=form or report_form(), files=files or [], headers=auth_headers(uid, **headers)
    )


def test_text_only_report_is_stored_with_code_ward_and_history(client, sync_db):
    uid = new_uid()
    response = submit(client, uid, report_form(description="  Cống   bị tắc  ", accuracy_m=12.5, address="Hàng Bài"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["code"].startswith("HN-20") and body["code"][-6:].isdigit()
    assert body["status"] == "assigned"  # the model is sure: routed at once
    assert body["description"] == "Cống   bị tắc"
    assert body["ward"] == {"code": "00070", "name": "Hoàn Kiếm"}
    assert [e["status"] for e in body["status_history"]] == ["received", "assigned"]
    assert body["routing"]["agency"] == "drainage_co" and body["routing"]["category"] == "flooding_drainage"
    assert response.headers["location"] == f"/v1/reports/{body['id']}"
    stored = sync_db.reports.find_one({"code": body["code"]})
    assert stored["resident_uid"] == uid
    assert stored["location"] == {"type": "Point", "coordinates": [105.8542, 21.0285]}
    assert stored["classification"]["category"] == "flooding_drainage"
    assert stored["classification"]["confidence"] >= 0.66 and stored["classification"]["model_version"]
    assert (stored["category"], stored["agency"]) == ("flooding_drainage", "drainage_co")
    assert stored["created_at"].tzinfo is not None and stored["created_at"] == stored["updated_at"]


def test_codes_are_unique_and_increasing(client):
    uid = new_uid()
    codes = [submit(client, uid).json()["code"] for _ in range(3)]
    assert len(set(codes)) == 3 and codes == sorted(codes)


def test_description_is_nfc_normalised(client, sync_db):
    decomposed = "o\u0302\u0309 ga\u0300"  # "ổ gà" typed as base letters + combining marks
    body = submit(client, new_uid(), report_form(description=decomposed)).json()
    assert body["description"] == "ổ gà"
    assert sync_db.reports.find_one({"code": body["code"]})["description"] == "ổ gà"


def test_point_in_son_tay_gets_son_tay_ward(client):
    lat, lng = SON_TAY
    assert submit(client, new_uid(), report_form(lat=lat, lng=lng)).json()["ward"]["name"] == "Sơn Tây"


def test_resident_category_pick_is_kept(client):
    assert submit(client, new_uid(), report_form(category="road_damage")).json()["category"] == "road_damage"


def test_photos_are_stored_without_metadata_and_rotated(client, sync_db):
    uid = new_uid()
    upright_landscape = image_bytes(  # stored sideways, EXIF says rotate
        size=(800, 400), orientation=6, gps=True, comment="Chủ máy: Trần Thị B".encode()
    )
    response = submit(client, uid, files=photo_files(upright_landscape, image_bytes("PNG", (300, 200))))
    assert response.status_code == 201, response.text
    photos = response.json()["photos"]
    assert len(photos) == 2
    assert (photos[0]["width"], photos[0]["height"]) == (400, 800)
    display = client.get(photos[0]["url"], headers=auth_headers(uid))
    assert display.status_code == 200 and display.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(display.content))
    assert image.size == (400, 800)
    assert not image.getexif() and "exif" not in image.info and "xmp" not in image.info
    for private in (b"PhoneMaker", "Nguyễn".encode(), "Trần Thị B".encode()):
        assert private not in display.content
    thumbnail = client.get(photos[0]["thumbnail_url"], headers=auth_headers(uid))
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 400
    assert sync_db["photos.files"].count_documents({"metadata.committed": True}) == 4


def test_photo_is_cached_by_clients(client):
    uid = new_uid()
    photo = submit(client, uid, files=photo_files(image_bytes())).json()["photos"][0]
    first = client.get(photo["thumbnail_url"], headers=auth_headers(uid))
    assert "immutable" in first.headers["cache-control"] and "private" in first.headers["cache-control"]
    again = client.get(photo["thumbnail_url"], headers=auth_headers(uid, **{"If-None-Match": first.headers["etag"]}))
    assert again.status_code == 304 and again.content == b""


def test_large_photo_is_scaled_to_display_and_thumbnail_sizes(client, settings):
    uid = new_uid()
    photo = submit(client, uid, files=photo_files(image_bytes(size=(4032, 3024)))).json()["photos"][0]
    assert max(photo["width"], photo["height"]) <= settings.display_long_side
    assert max(photo["width"], photo["height"]) >= settings.display_long_side * 3 // 4


def test_heic_from_an_iphone_is_accepted(client):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    response = submit(
        client,
        new_uid(),
        files=photo_files(image_bytes("HEIF", (600, 400)), name="IMG_0001.HEIC", content_type="image/heic"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["photos"][0]["width"] == 600


def test_webp_is_accepted(client):
    assert submit(client, new_uid(), files=photo_files(image_bytes("WEBP"), name="a.webp")).status_code == 201


def test_report_outside_hanoi_is_refused(client, sync_db):
    lat, lng = HO_CHI_MINH_CITY
    response = submit(client, new_uid(), report_form(lat=lat, lng=lng))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lat"
    assert sync_db.reports.count_documents({}) == 0
