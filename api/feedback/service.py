"""Rating and reopening, for the report's author only, after it is resolved.

Rating happens once (a conditional update, so two taps never make two ratings). Reopening
goes through the workflow table (resolved -> reopened, author only, reason required) and
only within ``reopen_window_days`` of the resolution; a reopened report gets a fresh
acknowledgement deadline, since the agency must look at it again.
"""

from datetime import timedelta

from bson import ObjectId

from api.auth import Principal
from api.errors import AppError, Conflict
from api.reports.access import load_own
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, ReportEdit, ReportWriter
from api.triage.sla import SlaPolicy
from api.triage.workflow import TransitionRefused, check_transition
from core.db import utc_now
from core.documents import Rating, Report, StatusEntry


class FeedbackService:
    def __init__(self, repo: ReportRepository, writer: ReportWriter, sla: SlaPolicy, reopen_window_days: int) -> None:
        self._repo = repo
        self._writer = writer
        self._sla = sla
        self.reopen_window = timedelta(days=reopen_window_days)

    async def rate(self, principal: Principal, report_id: ObjectId, stars: int, comment: str | None) -> Report:
        report = await load_own(self._repo, principal, report_id)
        if report.get("resolved_at") is None or report["status"] not in ("resolved", "closed"):
            raise Conflict("not_resolved_yet")
        now = utc_now()
        rating: Rating = {"stars": stars, "comment": comment, "at": now}
        return await self._writer.update(
            report,
            ReportEdit("rating", {"rating": rating, "updated_at": now}),
            actor=principal,
            at=now,
            expected_version=None,
            condition={"rating": None},
            lost=lambda: Conflict("already_rated"),
        )

    async def reopen(self, principal: Principal, report_id: ObjectId, reason: str) -> Report:
        report = await load_own(self._repo, principal, report_id)
        try:
            check_transition(report["status"], "reopened", principal.role, is_author=True, public_note=reason)
        except TransitionRefused as refused:
            raise AppError(refused.status, refused.key) from refused
        now = utc_now()
        resolved_at = report.get("resolved_at")
        assert resolved_at is not None, "check_transition lets only a resolved report be reopened"
        if now - resolved_at > self.reopen_window:
            raise Conflict("reopen_window_closed", days=self.reopen_window.days)
        acknowledge_by = self._sla.due(now, report.get("category"), report.get("priority", "normal"), "acknowledge")
        entry: StatusEntry = {
            "status": "reopened",
            "from": "resolved",
            "at": now,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "public_note": reason,
            "internal_note": None,
        }
        fields = {
            "status": "reopened",
            "due_at": acknowledge_by,
            "due_acknowledge_at": acknowledge_by,
            "overdue": False,
            "resolved_at": None,
            "resolved_open_since": None,
            "reopened_at": now,
            "updated_at": now,
            "resolution": None,
        }  # no longer resolved: a new resolution (and its proof) replaces it
        edit = ReportEdit(
            "status",
            fields,
            {"status_history": entry},
            public_note=reason,
            audit=Audited("status", {"from": "resolved", "to": "reopened"}),
        )
        # lost: the report changed (e.g. closed) as we reopened it
        return await self._writer.update(
            report,
            edit,
            actor=principal,
            at=now,
            expected_version=report["version"],
            lost=lambda: Conflict("transition_illegal"),
        )
