"""GET /metrics: Prometheus text format, for loopback scrapers or holders of the metrics token."""

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.errors import ERRORS, Forbidden
from api.ratelimit.client_ip import client_ip, is_loopback
from api.state import state_of

router = APIRouter(tags=["health"])


def _authorised(request: Request) -> bool:
    token = state_of(request.app).settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.get_secret_value().encode()
        ):
            return True
    return is_loopback(client_ip(request))


@router.get(
    "/metrics",
    summary="Prometheus metrics (loopback, or Authorization: Bearer <PHANANH_METRICS_TOKEN>)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **ERRORS},
)
async def metrics(request: Request) -> Response:
    if not _authorised(request):
        raise Forbidden()
    return Response(await state_of(request.app).metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
