"""Triage rules: status changes validated by the workflow table, versioned, audited, atomic."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bson import ObjectId

from api.auth import Principal
from api.domain import CITY_WIDE_ROLES, OPEN_STATUSES
from api.errors import AppError, Forbidden, PreconditionFailed, PreconditionRequired
from api.reports.access import load_handled
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, ReportEdit, ReportWriter, require_version
from api.triage.outcomes import Outcomes
from api.triage.queue import (
    QueueFilters,
    QueueHorizons,
    awaits_supervisor,
    build_query,
    encode_cursor,
    supervised_query,
)
from api.triage.schemas import QueueCounts, QueueItem, QueuePage, StatusChange
from api.triage.workflow import TransitionRefused, check_transition, next_deadline_field
from core.db import utc_now
from core.documents import Report, StatusEntry


def parse_if_match(header: str | None) -> int:
    """The version in an If-Match ETag ("v7" or W/"v7"); 428 when absent, 412 when unreadable."""
    if header is None:
        raise PreconditionRequired()
    value = header.strip().removeprefix("W/").strip('"')
    if not value.startswith("v") or not value[1:].isdigit():
        raise PreconditionFailed()
    return int(value[1:])


def overdue_by_s(report: Report) -> int | None:
    due_at = report.get("due_at")
    if not report.get("overdue") or due_at is None:
        return None
    return max(0, int((utc_now() - due_at).total_seconds()))


def _queue_item(report: Report) -> QueueItem:
    routing = report.get("routing") or {}
    appeal = report.get("appeal")
    lng, lat = report["location"]["coordinates"]
    return QueueItem(
        id=str(report["_id"]),
        code=report["code"],
        status=report["status"],
        description=report["description"][:280],
        category=report.get("category"),
        agency=report.get("agency"),
        ward=report.get("ward"),
        priority=report.get("priority"),
        due_at=report.get("due_at"),
        overdue=report.get("overdue", False),
        overdue_by_s=overdue_by_s(report),
        created_at=report["created_at"],
        location={"lat": lat, "lng": lng},
        suggestions=routing.get("suggestions", []),
        escalation_level=report.get("escalation_level", 0),
        escalated_to=report.get("escalated_to"),
        appeal_due_at=appeal.get("due_at") if appeal and appeal.get("outcome") is None else None,
    )


class TriageService:
    def __init__(
        self, repo: ReportRepository, writer: ReportWriter, outcomes: Outcomes, horizons: QueueHorizons
    ) -> None:
        self._repo = repo
        self._writer = writer
        self._outcomes = outcomes
        self._horizons = horizons

    @staticmethod
    def _scope(principal: Principal, agency: str | None) -> str | None:
        """Agency staff work their own agency's reports only; city-wide roles pick any or none."""
        if principal.role == "agency_staff":
            if agency not in (None, principal.agency):
                raise Forbidden()
            return principal.agency
        return agency

    async def queue(self, principal: Principal, filters: QueueFilters, cursor: str | None, limit: int) -> QueuePage:
        """Agency staff see their own agency's queue only; city-wide roles may pick any agency."""
        filters = replace(filters, agency=self._scope(principal, filters.agency))
        plan = build_query(filters, cursor)
        return await self._page(plan.query, plan.sort, plan.keep, filters.sort, limit, plan.horizon_key())

    async def escalations(self, principal: Principal, cursor: str | None, limit: int) -> QueuePage:
        """City-wide roles: every overdue open report, most overdue first. Agency staff: what was
        escalated or appealed to their body and still waits (open, or an appeal undecided)."""
        if principal.role in CITY_WIDE_ROLES:
            return await self.queue(principal, QueueFilters(overdue=True, sort="due"), cursor, limit)
        return await self._page(
            supervised_query(principal.agency or "", cursor), [("_id", 1)], awaits_supervisor, "age", limit
        )

    async def _page(
        self,
        query: dict[str, Any],
        sort: list[tuple[str, int]],
        keep: Callable[[Report], bool],
        order: str,
        limit: int,
        horizon_key: str | None = None,
    ) -> QueuePage:
        """One page and whether more follow (``limit + 1`` read); a deadline-ordered queue is read
        within its remembered horizon first (``QueueHorizons``)."""
        wanted, now = limit + 1, utc_now()
        bound = self._horizons.bound(horizon_key, now) if horizon_key is not None else None
        reports = []
        if bound is not None:  # "$lt": SecantusDB 0.7 loses entries equal to a middle field's upper bound
            reports = await self._repo.queue({**query, "due_at": {"$lt": bound}}, sort, keep, wanted)
        if len(reports) < wanted:
            reports = await self._repo.queue(query, sort, keep, wanted)
        if horizon_key is not None:
            self._horizons.record(horizon_key, now, reports, wanted)
        page = reports[:limit]
        next_cursor = encode_cursor(page[-1], order) if len(reports) > limit else None
        return QueuePage(items=[_queue_item(r) for r in page], next_cursor=next_cursor)

    async def counts(self, principal: Principal, agency: str | None) -> QueueCounts:
        """The queue's tabs: open reports per status and overdue, for one agency or the city."""
        agency = self._scope(principal, agency)
        return QueueCounts(
            agency=agency,
            statuses=await self._repo.count_by_status(agency, OPEN_STATUSES),
            overdue=await self._repo.count_overdue(agency, OPEN_STATUSES),
        )

    async def change_status(
        self, principal: Principal, report_id: ObjectId, change: StatusChange, expected_version: int
    ) -> Report:
        report = await load_handled(self._repo, principal, report_id)
        require_version(report, expected_version)
        try:
            check_transition(
                report["status"],
                change.status,
                principal.role,
                is_author=report["resident_uid"] == principal.uid,
                public_note=change.public_note,
            )
        except TransitionRefused as refused:
            raise AppError(refused.status, refused.key) from refused
        now = utc_now()
        outcome = await self._outcomes.of_status_change(report, change, now)  # proof, reason, attachments
        entry: StatusEntry = {
            "status": change.status,
            "from": report["status"],
            "at": now,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "public_note": change.public_note,
            "internal_note": change.internal_note,
            # the deadlines in force when it happened: on-time statistics are replayed from these
            "due_acknowledge_at": report.get("due_acknowledge_at"),
            "due_resolve_at": report.get("due_resolve_at"),
            **outcome.entry,
        }
        deadline_field = next_deadline_field(change.status)
        due_at = report.get(deadline_field) if deadline_field else None
        fields = {
            "status": change.status,
            "updated_at": now,
            "due_at": due_at,
            "overdue": due_at is not None and due_at < now,
        }
        if change.status == "resolved":
            fields["resolved_at"] = now
        fields["resolved_open_since"] = now if change.status == "resolved" else None  # auto-close clock
        fields.update(outcome.fields)
        edit = ReportEdit(
            "status",
            fields,
            {"status_history": entry},
            public_note=change.public_note,
            audit=Audited("status", {"from": report["status"], "to": change.status}),
        )
        updated = await self._writer.update(report, edit, actor=principal, at=now, expected_version=expected_version)
        await self._outcomes.committed(outcome)
        return updated
