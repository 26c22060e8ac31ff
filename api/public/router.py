"""/v1/reports/nearby and the public photo copies for residents; staff's public-view switch.

Included before the reports router, so that ``/v1/reports/nearby`` is not read as a report id.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from api.auth import CurrentPrincipal, Principal
from api.deps import DatabaseDep, PhotoServiceDep
from api.domain import Status
from api.duplicates.repository import FollowerRepository
from api.duplicates.router import resident
from api.errors import ERRORS
from api.public.schemas import NearbyPage, PublicViewChange
from api.public.service import PublicService, PublicViewEditor
from api.reports.access import parse_report_id
from api.reports.dependencies import ReportWriterDep
from api.reports.repository import ReportRepository
from api.reports.schemas import Latitude, Longitude, StaffReportOut
from api.triage.router import ExpectedVersion, WorkingStaff, versioned_response

router = APIRouter(prefix="/v1", tags=["public"])
MAX_RADIUS_M = 2000
Resident = Annotated[Principal, Depends(resident)]


async def get_public_service(db: DatabaseDep, photos: PhotoServiceDep) -> PublicService:
    return PublicService(ReportRepository(db), FollowerRepository(db), photos)


PublicServiceDep = Annotated[PublicService, Depends(get_public_service)]


@router.get(
    "/reports/nearby",
    response_model=NearbyPage,
    responses=ERRORS,
    summary="Public reports around a point, newest first (positions on the ~50 m grid, texts masked)",
)
async def nearby(
    principal: Resident,
    service: PublicServiceDep,
    lat: Annotated[Latitude, Query()],
    lng: Annotated[Longitude, Query()],
    radius_m: Annotated[float, Query(gt=0, le=MAX_RADIUS_M, allow_inf_nan=False)] = 500,
    status: Annotated[Status | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> NearbyPage:
    return await service.nearby(principal, lat, lng, radius_m, status, category, cursor, limit)


async def _photo(request: Request, service: PublicService, photo_id: str, variant: str) -> Response:
    stored = await service.public_photo(photo_id, variant)
    etag = f'"{photo_id}-public-{variant}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}  # short: staff may hide it
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(stored.data, media_type=stored.content_type, headers=headers)


@router.get(
    "/public-photos/{photo_id}",
    responses={200: {"content": {"image/jpeg": {}}}, **ERRORS},
    response_class=Response,
    summary="A shared photo's public copy (faces blurred)",
)
async def public_photo(photo_id: str, request: Request, _: CurrentPrincipal, service: PublicServiceDep) -> Response:
    return await _photo(request, service, photo_id, "display")


@router.get(
    "/public-photos/{photo_id}/thumbnail",
    responses={200: {"content": {"image/jpeg": {}}}, **ERRORS},
    response_class=Response,
    summary="Its thumbnail",
)
async def public_thumbnail(photo_id: str, request: Request, _: CurrentPrincipal, service: PublicServiceDep) -> Response:
    return await _photo(request, service, photo_id, "thumbnail")


@router.post(
    "/triage/reports/{report_id}/public-view",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Hide (or show again) a report's description, replies or one photo in every public view",
)
async def change_public_view(
    report_id: str,
    body: PublicViewChange,
    principal: WorkingStaff,
    db: DatabaseDep,
    writer: ReportWriterDep,
    version: ExpectedVersion,
) -> JSONResponse:
    updated = await PublicViewEditor(ReportRepository(db), writer).change(
        principal, parse_report_id(report_id), body, version
    )
    return versioned_response(updated, principal)
