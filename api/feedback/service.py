"""Rating and reopening, for the report's author only, after it is resolved.

Rating happens once (a conditional update, so two taps never make two ratings). Reopening
goes through the workflow table (resolved -> reopened, author only, reason required) and
only within ``reopen_window_days`` of the resolution; a reopened report gets a fresh
acknowledgement deadline, since the agency must look at it again.
"""

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient

from api.audit.repository import AuditRepository
from api.auth import Principal
from api.changes import ReportChange, ReportChanges
from api.db import run_in_transaction, utc_now
from api.errors import AppError
from api.reports.repository import ReportRepository
from api.triage.sla import SlaPolicy
from api.triage.workflow import TransitionRefused, check_transition


class FeedbackService:
    def __init__(self, client: AsyncMongoClient, repo: ReportRepository, audit: AuditRepository, sla: SlaPolicy,
                 reopen_window_days: int, changes: ReportChanges) -> None:
        self._client = client
        self._changes = changes
        self._repo = repo
        self._audit = audit
        self._sla = sla
        self.reopen_window = timedelta(days=reopen_window_days)

    async def _own_report(self, principal: Principal, report_id: ObjectId) -> dict[str, Any]:
        report = await self._repo.get(report_id)
        if report is None or report["resident_uid"] != principal.uid:
            raise AppError(404, "report_not_found")
        return report

    async def rate(self, principal: Principal, report_id: ObjectId, stars: int, comment: str | None) -> dict[str, Any]:
        report = await self._own_report(principal, report_id)
        if report.get("resolved_at") is None or report["status"] not in ("resolved", "closed"):
            raise AppError(409, "not_resolved_yet")
        now = utc_now()
        rating = {"stars": stars, "comment": comment, "at": now}

        async def write(session: Any) -> dict[str, Any] | None:
            updated = await self._repo.update_versioned(report_id, None, {"rating": rating, "updated_at": now},
                                                        session=session, condition={"rating": None})
            if updated is not None:
                await self._changes.publish(ReportChange("rating", report, updated, now), session)
            return updated

        updated = await run_in_transaction(self._client, write)
        if updated is None:
            raise AppError(409, "already_rated")
        return updated

    async def reopen(self, principal: Principal, report_id: ObjectId, reason: str) -> dict[str, Any]:
        report = await self._own_report(principal, report_id)
        try:
            check_transition(report["status"], "reopened", principal.role, is_author=True, public_note=reason)
        except TransitionRefused as refused:
            raise AppError(refused.status, refused.key) from refused
        now = utc_now()
        if now - report["resolved_at"] > self.reopen_window:
            raise AppError(409, "reopen_window_closed", days=self.reopen_window.days)
        acknowledge_by = self._sla.due(now, report.get("category"), report.get("priority", "normal"), "acknowledge")
        entry = {"status": "reopened", "from": "resolved", "at": now, "by_uid": principal.uid, "by_role": principal.role,
                 "public_note": reason, "internal_note": None}
        fields = {"status": "reopened", "due_at": acknowledge_by, "due_acknowledge_at": acknowledge_by,
                  "overdue": False, "resolved_at": None, "resolved_open_since": None, "reopened_at": now, "updated_at": now}

        async def write(session: Any) -> dict[str, Any] | None:
            updated = await self._repo.update_versioned(report_id, report["version"], fields,
                                                        {"status_history": entry}, session)
            if updated is not None:
                await self._audit.record(report_id, "status", principal.uid, principal.role, now,
                                         {"from": "resolved", "to": "reopened"}, session)
                await self._changes.publish(ReportChange("status", report, updated, now, reason), session)
            return updated

        updated = await run_in_transaction(self._client, write)
        if updated is None:
            raise AppError(409, "transition_illegal")  # the report changed (e.g. closed) as we reopened it
        return updated
