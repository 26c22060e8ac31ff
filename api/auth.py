"""Who is calling: Firebase ID tokens verified with firebase-admin, roles from custom claims.

The uid in the token is the resident's identity; staff roles arrive as custom claims set
by ``phananh staff grant``. In dev mode firebase-admin runs in its auth-emulator mode and
accepts unsigned tokens (``phananh dev-token``); the service refuses that mode off loopback
and refuses to start in prod if the emulator variable is set, because then anyone could
forge a token.
"""

import base64
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
import firebase_admin
from fastapi import Depends, Request
from firebase_admin import auth as firebase_auth
from firebase_admin import credentials
from google.auth.credentials import AnonymousCredentials

from api.domain import STAFF_ROLES, Role
from api.errors import AppError, Forbidden, ServiceUnavailable, Unauthenticated
from api.ratelimit.client_ip import client_ip
from api.ratelimit.repository import RateLimitRepository
from api.ratelimit.service import RateLimiter
from api.state import state_of
from core.settings import Settings

EMULATOR_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
ROLES = tuple(Role)


@dataclass(frozen=True)
class Principal:
    """The verified caller. ``agency`` is set only for agency staff."""

    uid: str
    role: str = "resident"
    agency: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    role = str(claims["role"]) if claims.get("role") in ROLES else "resident"
    agency = claims.get("agency") if role == "agency_staff" and isinstance(claims.get("agency"), str) else None
    if role == "agency_staff" and not agency:
        role = "resident"  # a staff claim without an agency grants nothing beyond a resident's rights
    return Principal(uid=str(claims["uid"]), role=role, agency=agency, claims=claims)


class _VerifyOnlyCredential(credentials.Base):
    """No service account: ID-token verification needs only Google's public certificates."""

    def get_credential(self) -> AnonymousCredentials:
        return AnonymousCredentials()


def valid_claims(role: str, agency: str | None, agency_exists: Callable[[str], bool]) -> dict[str, Any] | None:
    """The custom claims for a role grant, or ValueError; None for a plain resident."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "agency_staff":
        if not agency or not agency_exists(agency):
            raise ValueError("agency_staff needs --agency: an agency code or ward:<ward code>")
        return {"role": role, "agency": agency}
    if agency:
        raise ValueError("--agency only goes with --role agency_staff")
    return None if role == "resident" else {"role": role}


def grant_role(settings: Settings, uid: str, claims: dict[str, Any] | None) -> None:
    """Set (or clear) a user's custom claims through firebase-admin; effective at their next token."""
    verifier = TokenVerifier(settings)
    try:
        firebase_auth.set_custom_user_claims(uid, claims, app=verifier.app)
    finally:
        verifier.close()


class TokenVerifier:
    """One firebase-admin app per service instance; verification is the SDK's own."""

    def __init__(self, settings: Settings) -> None:
        self._dev = settings.is_dev
        self._set_emulator_env = False
        if self._dev:
            if os.environ.get(EMULATOR_ENV) is None:
                os.environ[EMULATOR_ENV] = settings.auth_emulator_host
                self._set_emulator_env = True
        elif os.environ.get(EMULATOR_ENV):
            raise RuntimeError(f"{EMULATOR_ENV} is set but PHANANH_ENV=prod: refusing to accept unsigned tokens")
        credential = (
            credentials.Certificate(str(settings.firebase_credentials))
            if settings.firebase_credentials
            else _VerifyOnlyCredential()
        )
        self.app = firebase_admin.initialize_app(
            credential, options={"projectId": settings.firebase_project_id}, name=f"phananh-{uuid.uuid4().hex}"
        )
        if settings.firebase_cert_url:
            # firebase-admin has no public option for the certificate URL; private deployments
            # and the RS256 tests serve the keys themselves, so point its verifier there.
            firebase_auth._get_client(self.app)._token_verifier.id_token_verifier.cert_url = settings.firebase_cert_url

    def close(self) -> None:
        firebase_admin.delete_app(self.app)
        if self._set_emulator_env:
            os.environ.pop(EMULATOR_ENV, None)

    async def verify(self, token: str) -> Principal:
        try:
            if self._dev:
                claims = firebase_auth.verify_id_token(token, app=self.app)
                if float(claims.get("exp", 0)) < time.time():  # the emulator mode skips expiry
                    raise Unauthenticated("token_expired", headers={"WWW-Authenticate": "Bearer"})
            else:  # may fetch Google's certificates (cached): keep it off the event loop
                claims = await anyio.to_thread.run_sync(firebase_auth.verify_id_token, token, self.app)
        except firebase_auth.ExpiredIdTokenError as exc:
            raise Unauthenticated("token_expired", headers={"WWW-Authenticate": "Bearer"}) from exc
        except firebase_auth.CertificateFetchError as exc:
            raise ServiceUnavailable("database_unavailable", headers={"Retry-After": "5"}) from exc
        except (firebase_auth.InvalidIdTokenError, ValueError) as exc:
            raise Unauthenticated(
                "token_invalid", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from exc
        return principal_from_claims(claims)


def make_dev_token(
    project_id: str,
    uid: str,
    claims: dict[str, Any] | None = None,
    lifetime_s: int = 3600,
    issued_at: float | None = None,
) -> str:
    """An unsigned token of the shape the Firebase auth emulator issues (dev mode only)."""
    now = int(issued_at if issued_at is not None else time.time())
    payload = {
        "iss": f"https://securetoken.google.com/{project_id}",
        "aud": project_id,
        "sub": uid,
        "user_id": uid,
        "iat": now,
        "auth_time": now,
        "exp": now + lifetime_s,
        "firebase": {"sign_in_provider": "custom", "identities": {}},
        **(claims or {}),
    }

    def b64(obj: dict[str, Any]) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


class SuspectAddresses:
    """Client addresses that presented an invalid token lately, remembered by this process."""

    MAX_ENTRIES = 100_000  # bounded memory under a spray of addresses: then expired ones are dropped

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def add(self, address: str, window_s: int) -> None:
        if len(self._until) >= self.MAX_ENTRIES:
            now = time.monotonic()
            self._until = {a: t for a, t in self._until.items() if t > now}
            if len(self._until) >= self.MAX_ENTRIES:
                self._until.clear()  # an attack from everywhere: every address is looked up again
        self._until[address] = time.monotonic() + window_s

    def contains(self, address: str) -> bool:
        until = self._until.get(address)
        return until is not None and until > time.monotonic()


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("unauthenticated", headers={"WWW-Authenticate": "Bearer"})
    state = state_of(request.app)
    settings, suspects = state.settings, state.auth_suspects
    limiter = RateLimiter(RateLimitRepository(state.db), state.rate_charges)
    address = client_ip(request)
    # Refused before verification: a client guessing tokens gets no more answers, and no more CPU.
    # Only addresses this process has seen fail are looked up: the others cost no database call
    # (one per request before; a storm's residents never fail), and an address guessing across
    # processes gets at most one verification more per process before each of them checks it too.
    if suspects.contains(address):
        await limiter.check("auth_failure", address, settings.auth_failure_limit, settings.auth_failure_window_s)
    try:
        principal = await state.token_verifier.verify(token.strip())
    except AppError as exc:
        if exc.key == "token_invalid":  # an expired token is a real one; the app refreshes it
            suspects.add(address, settings.auth_failure_window_s)
            await limiter.hit("auth_failure", address, settings.auth_failure_limit, settings.auth_failure_window_s)
        raise
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only these roles (403 for any other signed-in caller)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden()
        return principal

    return dependency
