"""POST /v1/reports/{id}/appeal (the author) and POST /v1/triage/reports/{id}/appeal/decision
(the supervising body): parse and authorise; the rules live in the service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from api.appeals.schemas import AppealDecision, AppealIn
from api.appeals.service import AppealService
from api.auth import CurrentPrincipal, Principal, require_roles
from api.deps import DatabaseDep, SettingsDep, StateDep
from api.domain import WORKING_ROLES
from api.errors import ERRORS
from api.reports.access import etag, parse_report_id, view
from api.reports.dependencies import ReportWriterDep
from api.reports.repository import ReportRepository
from api.reports.schemas import ReportOut, StaffReportOut
from api.triage.service import parse_if_match

router = APIRouter(tags=["appeals"])


async def get_appeal_service(
    state: StateDep, db: DatabaseDep, settings: SettingsDep, writer: ReportWriterDep
) -> AppealService:
    return AppealService(
        ReportRepository(db), writer, state.escalation, state.taxonomy, state.wards, settings.appeal_window_days
    )


AppealsDep = Annotated[AppealService, Depends(get_appeal_service)]


@router.post(
    "/v1/reports/{report_id}/appeal",
    response_model=ReportOut,
    status_code=201,
    responses=ERRORS,
    summary="Appeal a rejection or a 1-2 star outcome to the supervising body: once, within the window (author only)",
)
async def appeal(report_id: str, body: AppealIn, principal: CurrentPrincipal, service: AppealsDep) -> JSONResponse:
    updated = await service.appeal(principal, parse_report_id(report_id), body.reason)
    return JSONResponse(view(updated, principal).model_dump(mode="json"), status_code=201)


@router.post(
    "/v1/triage/reports/{report_id}/appeal/decision",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Decide a pending appeal: upheld, or overturned and handed to an agency again (the supervising "
    "body's staff, triage; If-Match)",
)
async def decide(
    report_id: str,
    body: AppealDecision,
    service: AppealsDep,
    principal: Annotated[Principal, Depends(require_roles(*WORKING_ROLES))],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    updated = await service.decide(
        principal, parse_report_id(report_id), body.outcome, body.note, body.agency, parse_if_match(if_match)
    )
    return JSONResponse(view(updated, principal).model_dump(mode="json"), headers={"ETag": etag(updated)})
