"""POST /v1/devices and DELETE /v1/devices/{token}: the app registers where pushes go."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.auth import CurrentPrincipal
from api.deps import DatabaseDep, MongoClientDep
from api.devices.repository import DeviceRepository
from api.devices.schemas import DeviceOut, DeviceRegistration
from api.devices.service import DeviceService
from api.errors import ERRORS
from notifications.outbox import OutboxRepository
from notifications.topics import TopicSubscriptions

router = APIRouter(prefix="/v1", tags=["devices"])


async def get_device_service(client: MongoClientDep, db: DatabaseDep) -> DeviceService:
    return DeviceService(client, DeviceRepository(db), TopicSubscriptions(OutboxRepository(db)))


DeviceServiceDep = Annotated[DeviceService, Depends(get_device_service)]


@router.post(
    "/devices", status_code=201, response_model=DeviceOut, responses=ERRORS, summary="Register this phone for pushes"
)
async def register_device(
    registration: DeviceRegistration, principal: CurrentPrincipal, service: DeviceServiceDep
) -> DeviceOut:
    return await service.register(principal.uid, registration)


@router.delete("/devices/{token}", status_code=204, responses=ERRORS, summary="Stop pushes to this phone")
async def unregister_device(token: str, principal: CurrentPrincipal, service: DeviceServiceDep) -> Response:
    await service.unregister(principal.uid, token)
    return Response(status_code=204)
