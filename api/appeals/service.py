"""Appeals: the author asks the supervising body to look again, once, within a window.

Not a reopening (``api/feedback``): reopening is the author saying "it is not fixed" within
days of a resolution, and goes straight back to the same agency. An appeal contests a
*decision*, a rejection or a handling the author rated 1-2 stars, and goes one level up the
supervision chain (``supervision.json``), which has its own deadline (``sla.json`` stage
``appeal``) and decides: ``upheld`` (the outcome stands) or ``overturned`` (the report is
handed again, status ``assigned`` with fresh deadlines, to the agency that handled it or to
another). The decision is not a workflow transition anyone could make from the triage API:
only this rule moves a rejected or closed report back to ``assigned``.

One appeal per report, ever: a conditional write on ``appeal`` being unset, so two taps
never file two. The supervising body's staff (and the triage desk) decide; the author hears
the outcome by push (an ``appeal`` change; the outbox turns it into ``appeal_<outcome>``).
"""

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from api.auth import Principal
from api.domain import TRIAGE_ROLES, Role, Status
from api.errors import Conflict, Forbidden
from api.reports.access import load_own, load_visible
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, ReportEdit, ReportWriter, require_version
from api.triage.actions import agency_name
from api.triage.escalation import Escalation, with_supervisor
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.db import utc_now
from core.documents import Appeal, Report, ReportPush, StatusEntry

POOR_RATING = 2  # stars at or below which the author may appeal


def grounds(report: Report) -> tuple[str, datetime]:
    """What the appeal contests and since when (the window runs from then); 409 when nothing may be."""
    if report["status"] == Status.REJECTED:
        rejected_at = next(e["at"] for e in reversed(report["status_history"]) if e["status"] == Status.REJECTED)
        return "rejected", rejected_at
    rating = report.get("rating")
    if rating and rating["stars"] <= POOR_RATING:
        return "rating", rating["at"]
    raise Conflict("appeal_not_allowed", stars=POOR_RATING)


class AppealService:
    def __init__(
        self,
        repo: ReportRepository,
        writer: ReportWriter,
        escalation: Escalation,
        taxonomy: Taxonomy,
        wards: WardIndex,
        window_days: int,
    ) -> None:
        self._repo = repo
        self._writer = writer
        self._escalation = escalation
        self._taxonomy = taxonomy
        self._wards = wards
        self.window = timedelta(days=window_days)

    async def appeal(self, principal: Principal, report_id: ObjectId, reason: str) -> Report:
        report = await load_own(self._repo, principal, report_id)
        if report.get("appeal"):
            raise Conflict("appeal_already_made")
        kind, since = grounds(report)
        now = utc_now()
        if now - since > self.window:
            raise Conflict("appeal_window_closed", days=self.window.days)
        to = self._escalation.supervisor(report)
        appeal: Appeal = {
            "reason": reason.strip(),
            "at": now,
            "by_uid": principal.uid,
            "grounds": kind,
            "to": to,
            "due_at": self._escalation.due(report, now, "appeal"),
            "from_agency": report.get("agency"),
            "outcome": None,
            "note": None,
            "decided_at": None,
            "decided_by_uid": None,
        }
        edit = ReportEdit(
            "appeal",
            {"appeal": appeal, "supervisors": with_supervisor(report, to), "updated_at": now},
            audit=Audited("appeal", {"to": to, "grounds": kind}),
        )
        return await self._writer.update(
            report,
            edit,
            actor=principal,
            at=now,
            expected_version=None,
            condition={"appeal": None},
            lost=lambda: Conflict("appeal_already_made"),
        )

    async def decide(
        self,
        principal: Principal,
        report_id: ObjectId,
        outcome: str,
        note: str,
        agency: str | None,
        expected_version: int,
    ) -> Report:
        """The supervising body's staff (or the triage desk) decide a pending appeal."""
        report = await load_visible(self._repo, principal, report_id)
        appeal = report.get("appeal")
        if not (
            principal.role in TRIAGE_ROLES
            or (principal.role == Role.AGENCY_STAFF and appeal and principal.agency == appeal["to"])
        ):
            raise Forbidden()
        require_version(report, expected_version)
        if not appeal or appeal["outcome"] is not None:
            raise Conflict("appeal_not_pending")
        now = utc_now()
        decided: Appeal = {
            **appeal,
            "outcome": outcome,
            "note": note.strip(),
            "decided_at": now,
            "decided_by_uid": principal.uid,
            "decided_by_role": principal.role,
        }
        fields: dict[str, Any] = {"appeal": decided, "updated_at": now}
        push: ReportPush | None = None
        if outcome == "overturned":
            entry = self._handed_again(
                report,
                agency or report.get("agency") or self._taxonomy.triage_agency,
                principal,
                note.strip(),
                now,
                fields,
            )
            push = {"status_history": entry}
        edit = ReportEdit(
            "appeal",
            fields,
            push,
            public_note=note.strip(),
            audit=Audited("appeal_decision", {"outcome": outcome, "to": fields.get("agency")}),
        )
        return await self._writer.update(report, edit, actor=principal, at=now, expected_version=expected_version)

    def _handed_again(
        self,
        report: Report,
        agency: str,
        principal: Principal,
        note: str,
        now: datetime,
        fields: dict[str, Any],
    ) -> StatusEntry:
        """Overturned: assigned again with fresh deadlines (added to ``fields``); returns the history entry."""
        name = agency_name(agency, self._taxonomy, self._wards)
        acknowledge_by = self._escalation.due(report, now, "acknowledge")
        fields.update(
            {
                "status": Status.ASSIGNED,
                "agency": agency,
                "routing": {
                    **(report.get("routing") or {}),
                    "agency": agency,
                    "agency_name": name,
                    "reason": "appeal",
                    "suggestions": [],
                },
                "due_at": acknowledge_by,
                "due_acknowledge_at": acknowledge_by,
                "due_resolve_at": self._escalation.due(report, now, "resolve"),
                "overdue": False,
                # the outcome being overturned no longer stands: the author sees the report open again
                "resolved_at": None,
                "resolved_open_since": None,
                "resolution": None,
                "rejection": None,
            }
        )
        # like a reroute's entry (statistics replay the agency move from it), marked as the appeal's
        return {
            "status": Status.ASSIGNED,
            "from": report["status"],
            "at": now,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "public_note": note,
            "internal_note": "appeal overturned",
            "appeal": "overturned",
            "agency": agency,
            "category": report.get("category"),
            "from_agency": report.get("agency"),
            "from_category": report.get("category"),
            "due_acknowledge_at": report.get("due_acknowledge_at"),
            "due_resolve_at": report.get("due_resolve_at"),
        }
