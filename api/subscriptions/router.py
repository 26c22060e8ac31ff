"""/v1/subscriptions: a resident's areas (a ward or a circle) for resolved-report digests."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.auth import Principal
from api.deps import DatabaseDep, WardsDep
from api.duplicates.router import resident
from api.errors import ERRORS
from api.subscriptions.repository import SubscriptionRepository
from api.subscriptions.schemas import SubscriptionIn, SubscriptionList, SubscriptionOut
from api.subscriptions.service import SubscriptionService

router = APIRouter(prefix="/v1", tags=["subscriptions"])
Resident = Annotated[Principal, Depends(resident)]


async def get_subscription_service(db: DatabaseDep, wards: WardsDep) -> SubscriptionService:
    return SubscriptionService(SubscriptionRepository(db), wards)


ServiceDep = Annotated[SubscriptionService, Depends(get_subscription_service)]


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionOut,
    responses=ERRORS,
    summary='Follow an area: {"ward": "00070"} or {"lat", "lng", "radius_m" ≤ 1000}; at most 5',
)
async def subscribe(area: SubscriptionIn, principal: Resident, service: ServiceDep) -> SubscriptionOut:
    return await service.subscribe(principal, area)


@router.get("/subscriptions", response_model=SubscriptionList, responses=ERRORS, summary="My areas")
async def list_subscriptions(principal: Resident, service: ServiceDep) -> SubscriptionList:
    return await service.list(principal)


@router.delete("/subscriptions/{subscription_id}", status_code=204, responses=ERRORS, summary="Stop following an area")
async def unsubscribe(subscription_id: str, principal: Resident, service: ServiceDep) -> Response:
    await service.unsubscribe(principal, subscription_id)
    return Response(status_code=204)
