"""/v1/reports/{id}/follow for residents and /v1/triage/reports/{id}/merge for staff."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import CurrentPrincipal, Principal, require_roles
from api.deps import DatabaseDep, SettingsDep, StateDep
from api.domain import STAFF_ROLES
from api.duplicates.finder import DuplicateFinder, DuplicateRules
from api.duplicates.repository import FollowerRepository
from api.duplicates.service import FollowService, duplicates_of
from api.errors import ERRORS, Forbidden
from api.reports.access import load_visible, parse_report_id
from api.reports.dependencies import ReportWriterDep
from api.reports.repository import ReportRepository
from api.reports.schemas import PossibleDuplicateOut, StaffReportOut
from api.triage.router import ExpectedVersion, WorkingStaff, versioned_response

router = APIRouter(tags=["duplicates"])


class FollowState(BaseModel):
    report_id: str
    code: str
    status: str
    following: bool
    followers: int


class MergeRequest(BaseModel):
    into: str = Field(max_length=64, description="Id of the report that survives")
    public_note: str | None = Field(None, max_length=4000, description="Shown to the merged report's author")


async def resident(principal: CurrentPrincipal) -> Principal:
    if principal.is_staff:
        raise Forbidden()
    return principal


async def get_follow_service(db: DatabaseDep, writer: ReportWriterDep) -> FollowService:
    return FollowService(ReportRepository(db), writer, FollowerRepository(db))


FollowServiceDep = Annotated[FollowService, Depends(get_follow_service)]


@router.post(
    "/v1/reports/{report_id}/follow",
    response_model=FollowState,
    responses=ERRORS,
    summary='"Me too": get this open report\'s status updates instead of filing a duplicate',
)
async def follow(report_id: str, principal: Annotated[Principal, Depends(resident)], service: FollowServiceDep) -> dict:
    return await service.follow(principal, parse_report_id(report_id))


@router.delete(
    "/v1/reports/{report_id}/follow", response_model=FollowState, responses=ERRORS, summary="Stop following a report"
)
async def unfollow(
    report_id: str, principal: Annotated[Principal, Depends(resident)], service: FollowServiceDep
) -> dict:
    return await service.unfollow(principal, parse_report_id(report_id))


@router.post(
    "/v1/triage/reports/{report_id}/merge",
    response_model=StaffReportOut,
    responses=ERRORS,
    summary="Close this report as a duplicate of another (send If-Match: its ETag)",
)
async def merge(
    report_id: str,
    request_body: MergeRequest,
    principal: WorkingStaff,
    service: FollowServiceDep,
    version: ExpectedVersion,
) -> JSONResponse:
    updated = await service.merge(
        principal, parse_report_id(report_id), parse_report_id(request_body.into), version, request_body.public_note
    )
    return versioned_response(updated, principal)


@router.get(
    "/v1/triage/reports/{report_id}/duplicates",
    response_model=list[PossibleDuplicateOut],
    responses=ERRORS,
    summary="Open reports nearby this one may repeat (candidates to merge into), most similar first",
)
async def possible_duplicates(
    report_id: str,
    principal: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    db: DatabaseDep,
    settings: SettingsDep,
    state: StateDep,
) -> list[dict]:
    repo = ReportRepository(db)
    report = await load_visible(repo, principal, parse_report_id(report_id))
    finder = DuplicateFinder(repo, DuplicateRules.of(settings), state.duplicate_hot_cells)
    return await duplicates_of(finder, principal, report)
