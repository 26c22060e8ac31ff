"""Signed thumbnail links (what a push's image points at): served without a token while genuine and
fresh; 403 when forged or altered, 410 once expired; without a signature the token is required as before."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from api.photos.signing import PhotoUrlSigner, optional_signer, required_signer
from tests.factories import file_report, move_status, staff_headers, upload_attachments

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"


@pytest.fixture
def resolved(client):
    """A resolved pothole and its resolution photo's id."""
    report = file_report(client, POTHOLE)
    staff = staff_headers("agency_staff", "construction_dept")
    assert move_status(client, report["id"], "in_progress", staff).status_code == 200
    proof = upload_attachments(client, report["id"], staff)
    assert (
        move_status(client, report["id"], "resolved", staff, public_note="Đã vá", attachments=proof).status_code == 200
    )
    return proof[0]


def signer(client) -> PhotoUrlSigner:
    return client.app.state.photo_signer


def with_query(path: str, **changes: str) -> str:
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_a_genuine_link_serves_the_thumbnail_without_a_token(client, resolved):
    path = signer(client).path(resolved, datetime.now(UTC))
    served = client.get(path)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == client.get(f"/v1/photos/{resolved}/thumbnail", headers=staff_headers("admin")).content


def test_without_a_signature_the_token_is_still_required(client, resolved):
    assert client.get(f"/v1/photos/{resolved}/thumbnail").status_code == 401
    assert client.get(f"/v1/photos/{resolved}").status_code == 401


def test_an_expired_link_is_gone(client, resolved):
    path = signer(client).path(resolved, datetime.now(UTC) - timedelta(days=30))
    expired = client.get(path)
    assert expired.status_code == 410 and expired.json()["code"] == "photo_link_expired"
    assert expired.headers["content-type"] == "application/problem+json"


def test_a_tampered_link_is_forbidden(client, resolved):
    path = signer(client).path(resolved, datetime.now(UTC))
    exp = parse_qs(urlsplit(path).query)["exp"][0]
    sig = parse_qs(urlsplit(path).query)["sig"][0]
    other_photo = "0" * 24
    for forged in (
        with_query(path, exp=str(int(exp) + 3600)),  # a longer life
        with_query(path, sig=sig[:-1] + ("0" if sig[-1] != "0" else "1")),
        with_query(path, sig=""),
        with_query(path, exp="soon"),
        path.replace(resolved, other_photo),
    ):
        refused = client.get(forged)
        assert refused.status_code == 403 and refused.json()["code"] == "photo_link_invalid", forged
    foreign_key = PhotoUrlSigner(b"k" * 40, None, 3600).path(resolved, datetime.now(UTC))
    assert client.get(foreign_key).status_code == 403


def test_a_link_to_an_unused_attachment_serves_nothing(client):
    report = file_report(client, POTHOLE)
    unused = upload_attachments(client, report["id"], staff_headers("agency_staff", "construction_dept"))[0]
    assert client.get(signer(client).path(unused, datetime.now(UTC))).status_code == 404


def test_prod_refuses_to_start_without_a_real_key(make_client, settings):
    with pytest.raises(RuntimeError, match="PHANANH_PHOTO_URL_KEY"):
        make_client(env="prod")
    with pytest.raises(RuntimeError, match="at least 32"):
        required_signer(settings.model_copy(update={"env": "prod", "photo_url_key": SecretStr("short")}))
    configured = required_signer(
        settings.model_copy(
            update={
                "env": "prod",
                "photo_url_key": SecretStr("s" * 40),
                "public_base_url": "https://phananh.example.vn/",
            }
        )
    )
    assert configured.url("a" * 24, datetime.now(UTC)).startswith("https://phananh.example.vn/v1/photos/")
    assert optional_signer(settings.model_copy(update={"env": "prod"})) is None  # a worker: no images
