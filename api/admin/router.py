"""/v1/admin/outbox: dead letters visible to admins, and re-drivable."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.admin.schemas import OutboxEventOut, OutboxPage, OutboxState
from api.admin.service import OutboxAdmin
from api.auth import Principal, require_roles
from api.deps import DatabaseDep
from api.errors import ERRORS
from notifications.outbox import OutboxRepository

router = APIRouter(prefix="/v1/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


async def get_outbox_admin(db: DatabaseDep) -> OutboxAdmin:
    return OutboxAdmin(OutboxRepository(db))


OutboxAdminDep = Annotated[OutboxAdmin, Depends(get_outbox_admin)]


@router.get(
    "/outbox", response_model=OutboxPage, responses=ERRORS, summary="Notification events by state, newest first"
)
async def list_outbox(
    principal: Admin,
    service: OutboxAdminDep,
    state: OutboxState = "dead",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OutboxPage:
    return await service.list(state, cursor, limit)


@router.post(
    "/outbox/{event_id}/redrive",
    response_model=OutboxEventOut,
    responses=ERRORS,
    summary="Queue a dead notification event again",
)
async def redrive_outbox_event(event_id: str, principal: Admin, service: OutboxAdminDep) -> OutboxEventOut:
    return await service.redrive(event_id)
