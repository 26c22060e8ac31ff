"""Periodic triage jobs: flag overdue reports, close resolved ones nobody reopened.

Both are safe with any number of workers: each report is claimed by one atomic
find-one-and-update whose filter no longer matches once done, and the audit record is
written in the same transaction, so two workers never flag (or close) a report twice and a
crash never leaves a flag without its record. Running them again changes nothing.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from api.audit.repository import AuditRepository
from api.changes import ChangeKind, ReportChange, ReportChanges
from api.db import run_in_transaction, utc_now
from api.reports.repository import ReportRepository
from api.triage.workflow import SYSTEM

BATCH = 500  # per run; the next run picks up the rest


class TriageJobs:
    def __init__(self, client: AsyncMongoClient, repo: ReportRepository, audit: AuditRepository,
                 reopen_window_days: int, changes: ReportChanges) -> None:
        self._client = client
        self._changes = changes
        self._repo = repo
        self._audit = audit
        self._reopen_window = timedelta(days=reopen_window_days)

    async def _claim_each(self, query: dict[str, Any], fields: dict[str, Any], push: dict[str, Any] | None,
                          action: str, kind: ChangeKind, now: datetime) -> int:
        done = 0
        while done < BATCH:
            async def claim(session: Any) -> dict[str, Any] | None:
                changed = await self._repo.claim_one_before(query, fields, push, session)
                if changed is None:
                    return None
                before, after = changed
                await self._audit.record(after["_id"], action, SYSTEM, SYSTEM, now, {"due_at": before.get("due_at")},
                                         session)
                await self._changes.publish(ReportChange(kind, before, after, now), session)
                return after

            if await run_in_transaction(self._client, claim) is None:
                return done
            done += 1
        return done

    async def mark_overdue(self, now: datetime | None = None) -> int:
        """Open reports past their current due date (index ``queue_overdue``); closed ones have none."""
        now = now or utc_now()
        return await self._claim_each({"overdue": False, "due_at": {"$lt": now}},
                                       {"overdue": True, "overdue_marked_at": now}, {"overdue_marks": now}, "overdue",
                                       "overdue", now)  # every mark kept: statistics are replayed from them

    async def close_resolved(self, now: datetime | None = None) -> int:
        """Resolved longer ago than the reopen window (index ``auto_close`` on a field only resolved reports have)."""
        now = now or utc_now()
        entry = {"status": "closed", "from": "resolved", "at": now, "by_uid": None, "by_role": SYSTEM,
                 "public_note": None, "internal_note": "auto-closed: not reopened in time"}
        return await self._claim_each({"resolved_open_since": {"$lt": now - self._reopen_window}},
                                       {"status": "closed", "closed_at": now, "updated_at": now, "due_at": None,
                                        "resolved_open_since": None},
                                       {"status_history": entry}, "auto_close", "status", now)
