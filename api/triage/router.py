"""/v1/triage: staff actions on reports. Parses and authorises; the rules live in the service."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from api.audit.repository import AuditRepository
from api.auth import CurrentPrincipal, Principal
from api.deps import DatabaseDep, ReportServiceDep
from api.errors import ERRORS, AppError
from api.reports.repository import ReportRepository
from api.reports.schemas import StaffReportOut
from api.reports.service import etag, parse_report_id
from api.triage.queue import QueueFilters
from api.triage.schemas import QueuePage, StatusChange
from api.triage.workflow import STATUSES
from api.triage.service import TriageService, parse_if_match

router = APIRouter(prefix="/v1/triage", tags=["triage"])
WORKING_ROLES = ("agency_staff", "triage_officer", "admin")


async def working_staff(principal: CurrentPrincipal) -> Principal:
    if principal.role not in WORKING_ROLES:
        raise AppError(403, "forbidden")
    return principal


async def get_triage_service(request: Request, db: DatabaseDep, reports: ReportServiceDep) -> TriageService:
    return TriageService(request.app.state.client, reports, ReportRepository(db), AuditRepository(db))


async def queue_reader(principal: CurrentPrincipal) -> Principal:
    if not principal.is_staff:
        raise AppError(403, "forbidden")
    return principal


@router.get("/queue", response_model=QueuePage, responses=ERRORS, summary="Reports to work on, by deadline or age")
async def get_queue(
    principal: Annotated[Principal, Depends(queue_reader)],
    service: Annotated[TriageService, Depends(get_triage_service)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Literal[STATUSES] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    ward: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    overdue: bool | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    sort: Literal["due", "age"] = "due",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> QueuePage:
    filters = QueueFilters(agency=agency, status=status, category=category, ward=ward, overdue=overdue,
                           created_from=created_from, created_to=created_to, q=q, sort=sort)
    return await service.queue(principal, filters, cursor, limit)


@router.post("/reports/{report_id}/status", response_model=StaffReportOut, responses=ERRORS,
             summary="Move a report through the workflow (send If-Match: the report's ETag)")
async def change_status(
    report_id: str,
    change: StatusChange,
    principal: Annotated[Principal, Depends(working_staff)],
    service: Annotated[TriageService, Depends(get_triage_service)],
    reports: ReportServiceDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    updated = await service.change_status(principal, parse_report_id(report_id), change, parse_if_match(if_match))
    body = reports.view(updated, principal).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": etag(updated)})
