"""One pure-ASGI middleware around every request: its id, its latency metric, its access log line.

The id comes from ``X-Request-ID`` when the caller (the app, a proxy) sent a sane one, else
a new one; it is echoed in the response header and bound to the contextvar that tags every
log line. Latency is recorded per route *template* (``/v1/reports/{report_id}``), never the
raw path, so ids do not explode the metric's cardinality and never reach the logs.
"""

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.metrics import Metrics
from core.logs import bind_request_id, reset_request_id

log = logging.getLogger("phananh.access")
REQUEST_ID_HEADER = b"x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def accepted_request_id(raw: bytes | None) -> str:
    value = raw.decode("latin-1") if raw else ""
    return value if _SANE_ID.match(value) else uuid.uuid4().hex


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(dict(scope.get("headers") or []).get(REQUEST_ID_HEADER))
        token = bind_request_id(request_id)
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaping the app is a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(scope["method"], route, status, elapsed)
            log.info(
                "%s %s %s",
                scope["method"],
                route,
                status,
                extra={
                    "route": route,
                    "method": scope["method"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            reset_request_id(token)
