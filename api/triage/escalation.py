"""Escalation up the supervision chain when a report misses a deadline.

The deadline job flags a report overdue and starts its escalation clock (``escalate_at``:
now). The escalation job then sends every overdue report whose clock has run out one level
up: to the supervisor of the body it was last escalated to (of its agency the first time),
and gives that body its own working-time deadline (``sla.json`` stage ``escalation``) before
the next level. The clock only runs while the report stays overdue: a report acknowledged,
rerouted or closed loses the flag, and only its next missed deadline (a new flag) escalates it
again. At the top of the chain there is no one further up: the clock stops.

Each escalation leaves its level, body, time, the stage (acknowledge or resolve) and the
deadline missed in ``escalations`` on the report, an audit record, and an ``escalation``
change (statistics). ``supervisors`` gathers every body a report was escalated or appealed
to: their staff may see it (never the resident's identity) and work on it.
"""

from datetime import datetime

from api.domain import Status
from api.reports.writer import Audited, ReportEdit
from api.triage.sla import SlaPolicy
from api.triage.supervision import SupervisionChain
from core.documents import EscalationEntry, Report

OVERDUE_TO_ESCALATE = {"overdue": True}  # with ``escalate_at`` bounds: index ``escalation_due``


def with_supervisor(report: Report, body: str) -> list[str]:
    """The report's ``supervisors`` with ``body`` added (kept sorted: one spelling per set)."""
    return sorted({*report.get("supervisors", []), body})


class Escalation:
    def __init__(self, sla: SlaPolicy, chain: SupervisionChain, triage_agency: str) -> None:
        self._sla = sla
        self._chain = chain
        self._triage_agency = triage_agency

    def supervisor(self, report: Report) -> str:
        """The body over the report's agency (appeals go there); the top for the top itself."""
        agency = report.get("agency") or self._triage_agency
        return self._chain.supervisor_of(agency) or self._chain.top

    def due(self, report: Report, start: datetime, stage: str) -> datetime:
        return self._sla.due(start, report.get("category"), report.get("priority") or "normal", stage)

    def edit(self, report: Report, now: datetime) -> ReportEdit:
        """The next escalation of an overdue report whose escalation clock ran out."""
        source = report.get("escalated_to") or report.get("agency") or self._triage_agency
        to = self._chain.supervisor_of(source)
        if to is None:  # already with the city's leadership: nobody further up, stop the clock
            return ReportEdit(None, {"escalate_at": None})
        level = report.get("escalation_level", 0) + 1
        entry: EscalationEntry = {
            "level": level,
            "to": to,
            "from": source,
            "at": now,
            "stage": "resolve" if report["status"] == Status.IN_PROGRESS else "acknowledge",
            "due_at": report.get("due_at"),
        }
        next_at = self.due(report, now, "escalation") if self._chain.supervisor_of(to) else None
        fields = {
            "escalation_level": level,
            "escalated_to": to,
            "escalated_at": now,
            "escalate_at": next_at,
            "supervisors": with_supervisor(report, to),
        }
        audit = Audited(
            "escalate",
            {
                "level": entry["level"],
                "to": entry["to"],
                "from": entry["from"],
                "stage": entry["stage"],
                "due_at": entry["due_at"],
            },
        )
        return ReportEdit("escalation", fields, {"escalations": entry}, audit=audit)
