"""/v1/triage: staff actions on reports. Parses and authorises; the rules live in the service."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from api.auth import Principal, require_roles
from api.corrections.repository import CorrectionRepository
from api.deps import DatabaseDep, PhotoServiceDep, SettingsDep, StateDep
from api.domain import STAFF_ROLES, WORKING_ROLES, Status
from api.errors import ERRORS
from api.photos.uploads import read_upload
from api.reports.access import VisibleReport, etag, load_visible, parse_report_id, photo_urls, view
from api.reports.dependencies import ReportWriterDep
from api.reports.repository import ReportRepository
from api.reports.schemas import AttachmentOut, StaffReportOut
from api.triage.actions import TriageActions
from api.triage.outcomes import Outcomes
from api.triage.queue import QueueFilters
from api.triage.schemas import (
    AttachmentsOut,
    NoteIn,
    PriorityChange,
    QueueCounts,
    QueuePage,
    Reassignment,
    Recategorisation,
    RejectionReasons,
    ReplyTemplates,
    StatusChange,
)
from api.triage.service import TriageService, parse_if_match
from core.documents import Report
from core.i18n import negotiate_locale

router = APIRouter(prefix="/v1/triage", tags=["triage"])


async def expected_version(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int:
    """The report version the caller last saw, from If-Match (428 without it, 412 unreadable)."""
    return parse_if_match(if_match)


ExpectedVersion = Annotated[int, Depends(expected_version)]


async def get_outcomes(state: StateDep, photos: PhotoServiceDep, settings: SettingsDep) -> Outcomes:
    return Outcomes(state.triage_tables, state.taxonomy, state.wards, photos, settings.max_photos)


OutcomesDep = Annotated[Outcomes, Depends(get_outcomes)]


async def get_triage_service(
    db: DatabaseDep, writer: ReportWriterDep, outcomes: OutcomesDep, state: StateDep
) -> TriageService:
    return TriageService(ReportRepository(db), writer, outcomes, state.queue_horizons)


async def get_triage_actions(
    state: StateDep, db: DatabaseDep, writer: ReportWriterDep, outcomes: OutcomesDep
) -> TriageActions:
    return TriageActions(
        ReportRepository(db), writer, CorrectionRepository(db), state.taxonomy, state.wards, state.sla, outcomes
    )


ActionsDep = Annotated[TriageActions, Depends(get_triage_actions)]
WorkingStaff = Annotated[Principal, Depends(require_roles(*WORKING_ROLES))]


def versioned_response(updated: Report, principal: Principal, request: Request | None = None) -> JSONResponse:
    """The changed report as this caller sees it, with its new ETag for the next If-Match."""
    locale = negotiate_locale(request.headers.get("accept-language") if request else None)
    return JSONResponse(view(updated, principal, locale).model_dump(mode="json"), headers={"ETag": etag(updated)})


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
    filters = QueueFilters(
        agency=agency,
        status=status,
        category=category,
        ward=ward,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        q=q,
        sort=sort,
    )
    return await service.queue(principal, filters, cursor, limit)


@router.get(
    "/counts",
    response_model=QueueCounts,
    responses=ERRORS,
    summary="Open reports per status and overdue (an agency's for agency staff; any agency or the city for others)",
)
async def get_counts(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    service: Annotated[TriageService, Depends(get_triage_service)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> QueueCounts:
    return await service.counts(principal, agency)


@router.post(
    "/reports/{report_id}/status",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Move a report through the workflow (send If-Match: the report's ETag)",
)
async def change_status(
    report_id: str,
    change: StatusChange,
    principal: WorkingStaff,
    service: Annotated[TriageService, Depends(get_triage_service)],
    version: ExpectedVersion,
    request: Request,
) -> JSONResponse:
    updated = await service.change_status(principal, parse_report_id(report_id), change, version)
    return versioned_response(updated, principal, request)


@router.get(
    "/escalations",
    response_model=QueuePage,
    responses=ERRORS,
    summary="City-wide roles: overdue open reports, most overdue first. Agency staff: reports escalated or "
    "appealed to their body",
)
async def get_escalations(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    service: Annotated[TriageService, Depends(get_triage_service)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> QueuePage:
    return await service.escalations(principal, cursor, limit)


@router.post(
    "/reports/{report_id}/assign",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Reassign to another agency (reason required; If-Match)",
)
async def reassign(
    report_id: str, body: Reassignment, principal: WorkingStaff, actions: ActionsDep, version: ExpectedVersion
):
    updated = await actions.reassign(principal, parse_report_id(report_id), body.agency, body.reason, version)
    return versioned_response(updated, principal)


@router.post(
    "/reports/{report_id}/category",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Recategorise and route by the new category (reason required; If-Match)",
)
async def recategorise(
    report_id: str, body: Recategorisation, principal: WorkingStaff, actions: ActionsDep, version: ExpectedVersion
):
    updated = await actions.recategorise(principal, parse_report_id(report_id), body.category, body.reason, version)
    return versioned_response(updated, principal)


@router.post(
    "/reports/{report_id}/priority",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Set urgent/normal; due dates follow (If-Match)",
)
async def set_priority(
    report_id: str, body: PriorityChange, principal: WorkingStaff, actions: ActionsDep, version: ExpectedVersion
):
    updated = await actions.set_priority(principal, parse_report_id(report_id), body.priority, body.reason, version)
    return versioned_response(updated, principal)


@router.post(
    "/reports/{report_id}/notes",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Add an internal note or a public reply",
)
async def add_note(report_id: str, body: NoteIn, principal: WorkingStaff, actions: ActionsDep):
    updated = await actions.add_note(principal, parse_report_id(report_id), body.text, body.public, body.attachments)
    return versioned_response(updated, principal)


# Proof of resolution, reply templates, rejection reasons (issue 20)


@router.post(
    "/reports/{report_id}/attachments",
    status_code=201,
    response_model=AttachmentsOut,
    responses=ERRORS,
    summary="Upload 1–5 photos to attach to a status change or note of this report (multipart, field files)",
)
async def upload_attachments(
    principal: WorkingStaff,
    report: VisibleReport,
    outcomes: OutcomesDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="1–5 photos (JPEG, PNG, WebP, HEIC)")],
) -> AttachmentsOut:
    ids = await outcomes.upload(report, [await read_upload(f, settings.max_photo_bytes) for f in files])
    return AttachmentsOut(
        attachments=[AttachmentOut(id=i, url=photo_urls(i)[0], thumbnail_url=photo_urls(i)[1]) for i in ids]
    )


@router.get(
    "/templates",
    response_model=ReplyTemplates,
    responses=ERRORS,
    summary="Reply templates per category and status (filled in for report_id); nothing is sent",
)
async def get_templates(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    outcomes: OutcomesDep,
    db: DatabaseDep,
    request: Request,
    category: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Status | None, Query()] = None,
    report_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ReplyTemplates:
    report = await load_visible(ReportRepository(db), principal, parse_report_id(report_id)) if report_id else None
    return outcomes.templates(category, status, report, negotiate_locale(request.headers.get("accept-language")))


@router.get(
    "/rejection-reasons",
    response_model=RejectionReasons,
    responses=ERRORS,
    summary="The reason codes a rejection needs, and the channels a redirect may name",
)
async def get_rejection_reasons(
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))], outcomes: OutcomesDep, request: Request
) -> RejectionReasons:
    return outcomes.rejection_reasons(negotiate_locale(request.headers.get("accept-language")))
