"""/healthz says the process runs; /readyz says it can serve (database up, indexes in place)."""

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError

from api.errors import problem_response
from api.state import state_of

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database reachable and indexes ensured")
async def readyz(request: Request) -> JSONResponse:
    state = state_of(request.app)
    try:
        await state.db.command("ping")
        if not state.indexes_ready:
            await state.ensure_indexes()
    except PyMongoError as exc:
        log.warning("not ready: %s: %s", type(exc).__name__, exc)
        return problem_response(request, 503, "database_unavailable", headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready"})
