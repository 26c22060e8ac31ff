"""/v1/triage: staff actions on reports. Parses and authorises; the rules live in the service."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse

from api.corrections.repository import CorrectionRepository
from api.auth import Principal, require_roles
from api.domain import STAFF_ROLES, WORKING_ROLES, Status
from api.deps import DatabaseDep, StateDep
from api.errors import ERRORS
from api.reports.access import etag, parse_report_id, view
from api.reports.dependencies import ReportWriterDep
from api.reports.repository import ReportRepository
from api.reports.schemas import StaffReportOut
from api.triage.queue import QueueFilters
from api.triage.actions import TriageActions
from api.triage.schemas import NoteIn, PriorityChange, QueueCounts, QueuePage, Reassignment, Recategorisation, StatusChange
from api.triage.service import TriageService, parse_if_match

router = APIRouter(prefix="/v1/triage", tags=["triage"])


async def expected_version(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int:
    """The report version the caller last saw, from If-Match (428 without it, 412 unreadable)."""
    return parse_if_match(if_match)


ExpectedVersion = Annotated[int, Depends(expected_version)]


async def get_triage_service(db: DatabaseDep, writer: ReportWriterDep) -> TriageService:
    return TriageService(ReportRepository(db), writer)


async def get_triage_actions(state: StateDep, db: DatabaseDep, writer: ReportWriterDep) -> TriageActions:
    return TriageActions(ReportRepository(db), writer, CorrectionRepository(db), state.taxonomy, state.wards, state.sla)


ActionsDep = Annotated[TriageActions, Depends(get_triage_actions)]
WorkingStaff = Annotated[Principal, Depends(require_roles(*WORKING_ROLES))]


def versioned_response(updated: dict, principal: Principal) -> JSONResponse:
    """The changed report as this caller sees it, with its new ETag for the next If-Match."""
    return JSONResponse(view(updated, principal).model_dump(mode="json"), headers={"ETag": etag(updated)})


@router.get("/queue", response_model=QueuePage, responses=ERRORS, summary="Reports to work on, by deadline or age")
async def get_queue(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    service: Annotated[TriageService, Depends(get_triage_service)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Status | None, Query()] = None,
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


@router.get("/counts", response_model=QueueCounts, responses=ERRORS,
            summary="Open reports per status and overdue (an agency's for agency staff; any agency or the city for others)")
async def get_counts(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    service: Annotated[TriageService, Depends(get_triage_service)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> QueueCounts:
    return await service.counts(principal, agency)


@router.post("/reports/{report_id}/status", response_model=StaffReportOut, responses=ERRORS,
             summary="Move a report through the workflow (send If-Match: the report's ETag)")
async def change_status(
    report_id: str,
    change: StatusChange,
    principal: WorkingStaff,
    service: Annotated[TriageService, Depends(get_triage_service)],
    version: ExpectedVersion,
) -> JSONResponse:
    updated = await service.change_status(principal, parse_report_id(report_id), change, version)
    return versioned_response(updated, principal)


@router.get("/escalations", response_model=QueuePage, responses=ERRORS,
            summary="City-wide roles: overdue open reports, most overdue first. Agency staff: reports escalated or "
                    "appealed to their body")
async def get_escalations(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    service: Annotated[TriageService, Depends(get_triage_service)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> QueuePage:
    return await service.escalations(principal, cursor, limit)


@router.post("/reports/{report_id}/assign", response_model=StaffReportOut, responses=ERRORS,
             summary="Reassign to another agency (reason required; If-Match)")
async def reassign(report_id: str, body: Reassignment, principal: WorkingStaff, actions: ActionsDep,
                   version: ExpectedVersion):
    updated = await actions.reassign(principal, parse_report_id(report_id), body.agency, body.reason, version)
    return versioned_response(updated, principal)


@router.post("/reports/{report_id}/category", response_model=StaffReportOut, responses=ERRORS,
             summary="Recategorise and route by the new category (reason required; If-Match)")
async def recategorise(report_id: str, body: Recategorisation, principal: WorkingStaff, actions: ActionsDep,
                       version: ExpectedVersion):
    updated = await actions.recategorise(principal, parse_report_id(report_id), body.category, body.reason, version)
    return versioned_response(updated, principal)


@router.post("/reports/{report_id}/priority", response_model=StaffReportOut, responses=ERRORS,
             summary="Set urgent/normal; due dates follow (If-Match)")
async def set_priority(report_id: str, body: PriorityChange, principal: WorkingStaff, actions: ActionsDep,
                       version: ExpectedVersion):
    updated = await actions.set_priority(principal, parse_report_id(report_id), body.priority, body.reason, version)
    return versioned_response(updated, principal)


@router.post("/reports/{report_id}/notes", response_model=StaffReportOut, responses=ERRORS,
             summary="Add an internal note or a public reply")
async def add_note(report_id: str, body: NoteIn, principal: WorkingStaff, actions: ActionsDep):
    updated = await actions.add_note(principal, parse_report_id(report_id), body.text, body.public)
    return versioned_response(updated, principal)
