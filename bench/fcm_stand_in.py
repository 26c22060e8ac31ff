"""A local stand-in for Google's FCM v1 and OAuth token endpoints, on 127.0.0.1.

Firebase is unreachable from here, so tests, the benchmark and offline demos point the
real firebase-admin client at this server (``PHANANH_FCM_ENDPOINT`` and the service
account's ``token_uri``). It behaves like the real thing where our code depends on it:
the OAuth endpoint checks the service account's signed JWT assertion and issues access
tokens; the FCM endpoint refuses requests without one of those tokens, checks the message
shape, records what it received, and can be told to answer UNREGISTERED, UNAVAILABLE
with Retry-After, QUOTA_EXCEEDED or INTERNAL, or to hang.
"""

import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
TOPIC_PATH = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/registrations/(?P<token>[^/]+)/topicSubscriptions(?:/(?P<topic>[^/]+))?$"
)
FAILURES = {  # FCM error code -> (HTTP status, canonical status)
    "UNREGISTERED": (404, "NOT_FOUND"),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT"),
    "UNAVAILABLE": (503, "UNAVAILABLE"),
    "INTERNAL": (500, "INTERNAL"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED"),
}


@dataclass(frozen=True)
class Failure:
    code: str
    retry_after_s: int | None = None


def message_problems(message: Any) -> list[str]:
    """What FCM itself would refuse in a v1 message (the parts our messages use)."""
    if not isinstance(message, dict):
        return ["message is not an object"]
    problems = []
    if sum(key in message for key in ("token", "topic", "condition")) != 1:
        problems.append("exactly one of token, topic, condition")
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        problems.append("data values must be strings")
    android = message.get("android", {})
    if android.get("priority", "normal") not in ("normal", "high"):
        problems.append("android.priority")
    return problems


class FcmStandIn:
    """Start with ``start()``; ``received`` lists every accepted message with its arrival time."""

    def __init__(self, project_id: str = "phananh-test") -> None:
        self.project_id = project_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._access_tokens: set[str] = set()
        self.received: list[dict[str, Any]] = []
        self.subscriptions: dict[str, set[str]] = defaultdict(set)
        self.refused: list[dict[str, Any]] = []
        self.token_requests = 0
        self.arrivals = 0  # sends that reached the server (some may still be hanging)
        self._failures: dict[str | None, deque[Failure]] = defaultdict(deque)
        self._always_fail: dict[str, Failure] = {}
        self.hang_s = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- control -------------------------------------------------------------------------
    def fail_next(self, failure: Failure, times: int = 1, token: str | None = None) -> None:
        """The next ``times`` sends (to ``token``, or to anyone) fail with ``failure``."""
        with self._lock:
            self._failures[token].extend([failure] * times)

    def always_fail(self, token: str, failure: Failure) -> None:
        self._always_fail[token] = failure

    def service_account(self, client_email: str = "push@phananh-test.iam.gserviceaccount.com") -> dict[str, str]:
        """A service-account JSON whose key this stand-in trusts and whose token_uri is this server."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": "stand-in-key",
            "private_key": pem,
            "client_email": client_email,
            "client_id": "1",
            "token_uri": f"{self.url}/token",
        }

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FcmStandIn":
        stand_in = self

        class Handler(_Handler):
            owner = stand_in

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fcm-stand-in", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- behaviour -----------------------------------------------------------------------
    def issue_token(self, assertion: str) -> str | None:
        try:
            jwt.decode(
                assertion,
                self._key.public_key(),
                algorithms=["RS256"],  # google-auth's audience is Google's
                audience=["https://oauth2.googleapis.com/token", f"{self.url}/token"],
            )
        except jwt.PyJWTError:
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens.add(token)
            self.token_requests += 1
        return token

    def authorised(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return scheme == "Bearer" and token in self._access_tokens

    def next_failure(self, target: str | None) -> Failure | None:
        with self._lock:
            if target in self._always_fail:
                return self._always_fail[target]
            for key in (target, None):
                if self._failures.get(key):
                    return self._failures[key].popleft()
        return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 resets connections when 500 sends arrive at once
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client gone mid-reply (timeouts)
        return None


class _Handler(BaseHTTPRequestHandler):
    owner: FcmStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, as firebase-admin's clients expect
    disable_nagle_algorithm = True  # headers and body are two writes: Nagle + delayed ACK would add 40 ms each

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, failure: Failure) -> None:
        status, canonical = FAILURES[failure.code]
        body = {
            "error": {
                "code": status,
                "message": failure.code,
                "status": canonical,
                "details": [
                    {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": failure.code}
                ],
            }
        }
        headers = {"Retry-After": str(failure.retry_after_s)} if failure.retry_after_s is not None else None
        self._reply(status, body, headers)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/token":
            form = parse_qs(self._body().decode())
            token = self.owner.issue_token(form.get("assertion", [""])[0])
            if token is None:
                self._reply(400, {"error": "invalid_grant"})
            else:
                self._reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
            return
        body = self._body()
        if not self.owner.authorised(self.headers.get("Authorization")):
            self._reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "no valid bearer"}})
            return
        if (match := SEND_PATH.match(url.path)) and match["project"] == self.owner.project_id:
            self._send(json.loads(body or b"{}"))
        elif (match := TOPIC_PATH.match(url.path)) and not match["topic"]:
            topic = parse_qs(url.query).get("topic_name", [""])[0]
            self.owner.subscriptions[topic].add(unquote(match["token"]))
            self._reply(200, {})
        else:
            self._reply(404, {"error": {"code": 404, "status": "NOT_FOUND", "message": url.path}})

    def do_DELETE(self) -> None:
        url = urlsplit(self.path)
        match = TOPIC_PATH.match(url.path)
        if not self.owner.authorised(self.headers.get("Authorization")) or not match or not match["topic"]:
            self._reply(401 if match else 404, {"error": {"status": "UNAUTHENTICATED" if match else "NOT_FOUND"}})
            return
        self.owner.subscriptions[unquote(match["topic"])].discard(unquote(match["token"]))
        self._reply(200, {})

    def _send(self, request: dict[str, Any]) -> None:
        message = request.get("message")
        problems = message_problems(message)
        if problems:
            self.owner.refused.append({"request": request, "problems": problems})
            self._reply(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "; ".join(problems)}})
            return
        with self.owner._lock:
            self.owner.arrivals += 1
        if self.owner.hang_s:
            time.sleep(self.owner.hang_s)
        assert message is not None  # message_problems refuses a request without one
        failure = self.owner.next_failure(message.get("token") or message.get("topic"))
        if failure is not None:
            self._error(failure)
            return
        self.owner.received.append({"at": time.time(), "message": message})
        self._reply(200, {"name": f"projects/{self.owner.project_id}/messages/{secrets.token_hex(8)}"})
