"""Periodic triage jobs: flag overdue reports, escalate them, close resolved ones nobody reopened.

All are safe with any number of workers: each report is claimed by one atomic
find-one-and-update whose filter no longer matches once done, and the audit record is
written in the same transaction, so two workers never flag (or close) a report twice and a
crash never leaves a flag without its record. Running them again changes nothing.
"""

from datetime import datetime, timedelta
from typing import Any

from api.reports.writer import Audited, ReportEdit, ReportWriter
from api.triage.escalation import OVERDUE_TO_ESCALATE, Escalation
from api.triage.workflow import SYSTEM
from core.changes import ChangeKind
from core.db import utc_now
from core.documents import ReportPush, StatusEntry

BATCH = 500  # per run; the next run picks up the rest


class TriageJobs:
    def __init__(self, writer: ReportWriter, reopen_window_days: int, escalation: Escalation) -> None:
        self._writer = writer
        self._reopen_window = timedelta(days=reopen_window_days)
        self._escalation = escalation

    async def _claim_each(
        self,
        query: dict[str, Any],
        fields: dict[str, Any],
        push: ReportPush | None,
        action: str,
        kind: ChangeKind,
        now: datetime,
    ) -> int:
        edit = ReportEdit(kind, fields, push, audit=Audited(action, lambda before: {"due_at": before.get("due_at")}))
        done = 0
        while done < BATCH and await self._writer.claim(query, edit, now) is not None:
            done += 1
        return done

    async def mark_overdue(self, now: datetime | None = None) -> int:
        """Open reports past their current due date (index ``queue_overdue``); closed ones have none."""
        now = now or utc_now()
        return await self._claim_each(
            {"overdue": False, "due_at": {"$lt": now}},
            {"overdue": True, "overdue_marked_at": now, "escalate_at": now},
            {"overdue_marks": now},
            "overdue",
            "overdue",
            now,
        )  # every mark kept: statistics are replayed from them

    async def escalate(self, now: datetime | None = None) -> int:
        """Overdue reports whose escalation clock ran out go one level up (index ``escalation_due``).

        The change depends on the report (its level, its body), so each is read, computed and
        written only if still unchanged: ``claim_computed``, exactly once with any number of workers.
        """
        now = now or utc_now()
        query = {**OVERDUE_TO_ESCALATE, "escalate_at": {"$lte": now}}
        done = 0
        while (
            done < BATCH
            and await self._writer.claim_computed(query, lambda report: self._escalation.edit(report, now), now)
            is not None
        ):
            done += 1
        return done

    async def close_resolved(self, now: datetime | None = None) -> int:
        """Resolved longer ago than the reopen window (index ``auto_close`` on a field only resolved reports have)."""
        now = now or utc_now()
        entry: StatusEntry = {
            "status": "closed",
            "from": "resolved",
            "at": now,
            "by_uid": None,
            "by_role": SYSTEM,
            "public_note": None,
            "internal_note": "auto-closed: not reopened in time",
        }
        return await self._claim_each(
            {"resolved_open_since": {"$lt": now - self._reopen_window}},
            {"status": "closed", "closed_at": now, "updated_at": now, "due_at": None, "resolved_open_since": None},
            {"status_history": entry},
            "auto_close",
            "status",
            now,
        )
