"""POST /v1/reports/{id}/rating and /reopen: the author's feedback on a resolved report."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.auth import CurrentPrincipal
from api.deps import DatabaseDep, SettingsDep, SlaDep
from api.errors import ERRORS
from api.feedback.service import FeedbackService
from api.reports.access import parse_report_id, view
from api.reports.dependencies import ReportWriterDep
from api.reports.repository import ReportRepository
from api.reports.schemas import ReportOut

router = APIRouter(prefix="/v1/reports", tags=["feedback"])


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class ReopenIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


async def get_feedback_service(
    db: DatabaseDep, settings: SettingsDep, sla: SlaDep, writer: ReportWriterDep
) -> FeedbackService:
    return FeedbackService(ReportRepository(db), writer, sla, settings.reopen_window_days)


FeedbackDep = Annotated[FeedbackService, Depends(get_feedback_service)]


@router.post(
    "/{report_id}/rating",
    response_model=ReportOut,
    responses=ERRORS,
    summary="Rate the handling 1-5, once, after it is resolved (author only)",
)
async def rate(report_id: str, body: RatingIn, principal: CurrentPrincipal, service: FeedbackDep) -> ReportOut:
    updated = await service.rate(principal, parse_report_id(report_id), body.stars, body.comment)
    return view(updated, principal)


@router.post(
    "/{report_id}/reopen",
    response_model=ReportOut,
    responses=ERRORS,
    summary="Reopen a resolved report within the window, with a reason (author only)",
)
async def reopen(report_id: str, body: ReopenIn, principal: CurrentPrincipal, service: FeedbackDep) -> ReportOut:
    updated = await service.reopen(principal, parse_report_id(report_id), body.reason)
    return view(updated, principal)
