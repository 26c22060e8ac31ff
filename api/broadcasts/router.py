"""POST /v1/broadcasts (leadership, admin) and GET /v1/broadcasts (anyone signed in: warnings are public)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import CurrentPrincipal, Principal, require_roles
from api.broadcasts.repository import BroadcastRepository
from api.broadcasts.schemas import BroadcastIn, BroadcastOut, BroadcastPage
from api.broadcasts.service import BroadcastService
from api.deps import DatabaseDep, MongoClientDep, WardsDep
from api.domain import Role
from api.errors import ERRORS
from notifications.outbox import OutboxRepository

router = APIRouter(prefix="/v1/broadcasts", tags=["broadcasts"])


async def get_broadcast_service(client: MongoClientDep, db: DatabaseDep, wards: WardsDep) -> BroadcastService:
    return BroadcastService(client, BroadcastRepository(db), OutboxRepository(db), wards)


BroadcastServiceDep = Annotated[BroadcastService, Depends(get_broadcast_service)]
Broadcaster = Annotated[Principal, Depends(require_roles(Role.LEADERSHIP, Role.ADMIN))]


@router.post(
    "",
    status_code=201,
    response_model=BroadcastOut,
    responses=ERRORS,
    summary="Warn the residents of some wards (or the whole city) on their phones",
)
async def send_broadcast(body: BroadcastIn, principal: Broadcaster, service: BroadcastServiceDep) -> BroadcastOut:
    return await service.send(principal, body)


@router.get("", response_model=BroadcastPage, responses=ERRORS, summary="Warnings sent, newest first")
async def list_broadcasts(
    principal: CurrentPrincipal,
    service: BroadcastServiceDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BroadcastPage:
    return await service.list(cursor, limit)
