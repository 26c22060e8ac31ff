"""Real RS256 ID-token verification by firebase-admin, with keys served from 127.0.0.1."""

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from api.auth import EMULATOR_ENV, TokenVerifier, principal_from_claims
from tests.factories import PROJECT_ID, prod_overrides


def _key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def signing():
    """Google's x509 certificate endpoint, imitated on 127.0.0.1 with a key made for this test."""
    pem_key, pem_cert = _key_and_cert()
    other_key, _ = _key_and_cert()
    body = json.dumps({"test-kid": pem_cert}).encode()

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=600")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {
        "url": f"http://127.0.0.1:{server.server_port}/certs",
        "signer": crypt.RSASigner.from_string(pem_key, "test-kid"),
        "wrong_signer": crypt.RSASigner.from_string(other_key, "test-kid"),
    }
    server.shutdown()


def id_token(signer, uid="resident-rs", audience=PROJECT_ID, expires_in=3600, **claims):
    now = int(time.time())
    payload = {
        "iss": f"https://securetoken.google.com/{audience}",
        "aud": audience,
        "sub": uid,
        "iat": now - 10,
        "auth_time": now - 10,
        "exp": now + expires_in,
        **claims,
    }
    return jwt.encode(signer, payload).decode()


@pytest.fixture
def prod_client(make_client, signing, monkeypatch):
    monkeypatch.delenv(EMULATOR_ENV, raising=False)
    return make_client(**prod_overrides(firebase_cert_url=signing["url"]))


def get_mine(client, token):
    return client.get("/v1/reports/mine", headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


def test_valid_rs256_token_is_accepted(prod_client, signing):
    assert get_mine(prod_client, id_token(signing["signer"])).status_code == 200


def test_expired_rs256_token_is_refused(prod_client, signing):
    response = get_mine(prod_client, id_token(signing["signer"], expires_in=-600))
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


def test_wrong_audience_is_refused(prod_client, signing):
    response = get_mine(prod_client, id_token(signing["signer"], audience="someone-elses-project"))
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_bad_signature_is_refused(prod_client, signing):
    response = get_mine(prod_client, id_token(signing["wrong_signer"]))
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_prod_mode_refuses_unsigned_emulator_tokens(prod_client):
    from tests.factories import dev_token

    assert get_mine(prod_client, dev_token("forger", {"role": "admin"})).status_code == 401


def test_prod_refuses_to_start_with_the_emulator_variable_set(settings, monkeypatch):
    monkeypatch.setenv(EMULATOR_ENV, "127.0.0.1:9099")
    with pytest.raises(RuntimeError, match="unsigned"):
        TokenVerifier(settings.model_copy(update={"env": "prod"}))


def test_roles_come_from_custom_claims():
    assert principal_from_claims({"uid": "a"}).role == "resident"
    staff = principal_from_claims({"uid": "b", "role": "agency_staff", "agency": "urenco"})
    assert (staff.role, staff.agency, staff.is_staff) == ("agency_staff", "urenco", True)
    assert principal_from_claims({"uid": "c", "role": "agency_staff"}).role == "resident"  # no agency: no power
    assert principal_from_claims({"uid": "d", "role": "superuser"}).role == "resident"
