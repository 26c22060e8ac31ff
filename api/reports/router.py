"""HTTP surface of reports: parse the multipart form, authenticate, hand over to the service."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from api.auth import CurrentPrincipal
from api.deps import SettingsDep
from api.errors import ERRORS, Unprocessable
from api.idempotency.service import validate_key
from api.photos.uploads import read_upload
from api.ratelimit.client_ip import client_ip
from api.reports.access import VisibleReport, etag, view
from api.reports.dependencies import ReportServiceDep
from api.reports.schemas import ReportOut, ReportPage, ReportSubmission, StaffReportOut
from core.i18n import negotiate_locale

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportOut,
    responses=ERRORS,
    summary="Submit a report (multipart/form-data)",
)
async def create_report(
    request: Request,
    principal: CurrentPrincipal,
    service: ReportServiceDep,
    settings: SettingsDep,
    submission: Annotated[ReportSubmission, Form()],
    photos: Annotated[list[UploadFile], File(description="0–5 photos: JPEG, PNG, WebP or HEIC")] = [],  # noqa: B006
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    key = validate_key(idempotency_key)
    if len(photos) > settings.max_photos:
        raise Unprocessable(
            "validation_failed",
            errors=[{"field": "photos", "key": "field.too_many_photos", "params": {"limit": settings.max_photos}}],
        )
    uploads = [await read_upload(p, settings.max_photo_bytes) for p in photos]
    result = await service.submit(principal, submission, uploads, key, client_ip(request))
    headers = {"Location": f"/v1/reports/{result.body['id']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(result.body, status_code=result.status, headers=headers)


@router.get("/reports/mine", response_model=ReportPage, responses=ERRORS, summary="My reports, newest first")
async def list_my_reports(
    principal: CurrentPrincipal,
    service: ReportServiceDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReportPage:
    return await service.list_mine(principal, cursor, limit)


@router.get(
    "/reports/{report_id}",
    response_model=StaffReportOut | ReportOut,
    responses=ERRORS,
    summary="One report (ETag = its version, for If-Match on updates)",
)
async def get_report(
    report: VisibleReport, principal: CurrentPrincipal, request: Request, response: Response
) -> ReportOut:
    response.headers["ETag"] = etag(report)
    return view(report, principal, negotiate_locale(request.headers.get("accept-language")))
