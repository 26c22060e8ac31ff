"""Staff actions besides status changes: reroute (reassign, recategorise), priority, notes.

Rerouting an open report hands it to an agency afresh: status ``assigned``, priority and
due dates recomputed from now (the new agency's clock starts when it gets the report).
Every reroute is also a correction (report text, the model's prediction and confidence, old
and new label and agency, who, when, why) written in the same transaction, which
``phananh export-corrections`` turns into training lines for the classifier.
"""

from bson import ObjectId

from api.auth import Principal
from api.corrections.repository import Correction, CorrectionRepository
from api.domain import OPEN_STATUSES
from api.errors import Conflict, Unprocessable
from api.reports.access import load_visible
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, ReportEdit, ReportWriter, require_version
from api.triage.outcomes import Outcomes
from api.triage.sla import SlaPolicy
from classifiers.routing.rules import WARD_AGENCY_PREFIX, agency_for
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.db import TransactionWrites, utc_now
from core.documents import Note, Report, StatusEntry


def agency_name(agency: str, taxonomy: Taxonomy, wards: WardIndex) -> str:
    """The Vietnamese name of an agency a report may be handed to; 422 for an unknown code."""
    if agency.startswith(WARD_AGENCY_PREFIX):
        ward = wards.by_code(agency.removeprefix(WARD_AGENCY_PREFIX))
        if ward is not None:
            return f"UBND {ward.kind.lower()} {ward.name}"
    elif agency in taxonomy.agencies:
        return taxonomy.agencies[agency].name_vi
    raise Unprocessable("agency_unknown")


class TriageActions:
    def __init__(
        self,
        repo: ReportRepository,
        writer: ReportWriter,
        corrections: CorrectionRepository,
        taxonomy: Taxonomy,
        wards: WardIndex,
        sla: SlaPolicy,
        outcomes: Outcomes,
    ) -> None:
        self._outcomes = outcomes
        self._repo = repo
        self._writer = writer
        self._corrections = corrections
        self._taxonomy = taxonomy
        self._wards = wards
        self._sla = sla

    async def _open_report(self, principal: Principal, report_id: ObjectId, expected_version: int) -> Report:
        report = await load_visible(self._repo, principal, report_id)
        require_version(report, expected_version)
        if report["status"] not in OPEN_STATUSES:
            raise Conflict("report_not_open")
        return report

    async def reassign(
        self, principal: Principal, report_id: ObjectId, agency: str, reason: str, expected_version: int
    ) -> Report:
        report = await self._open_report(principal, report_id, expected_version)
        name = agency_name(agency, self._taxonomy, self._wards)
        if agency == report.get("agency"):
            raise Conflict("reassign_same_agency")
        category = report.get("category")
        return await self._reroute(principal, report, category, agency, name, reason, "reassign")

    async def recategorise(
        self, principal: Principal, report_id: ObjectId, category: str, reason: str, expected_version: int
    ) -> Report:
        """Sets the category and routes the report by it: one action for a low-confidence report."""
        report = await self._open_report(principal, report_id, expected_version)
        if category not in self._taxonomy.categories:
            raise Unprocessable("category_unknown")
        ward = self._wards.by_code(report["ward"]["code"]) if report.get("ward") else None
        agency, name = agency_for(category, ward, self._taxonomy)
        return await self._reroute(principal, report, category, agency, name, reason, "recategorise")

    async def _reroute(
        self,
        principal: Principal,
        report: Report,
        category: str | None,
        agency: str,
        agency_name: str,
        reason: str,
        kind: str,
    ) -> Report:
        now = utc_now()
        priority = (
            self._sla.priority(category, report["description"])
            if kind == "recategorise"
            else report.get("priority", "normal")
        )
        acknowledge_by = self._sla.due(now, category, priority, "acknowledge")
        routing = {
            **(report.get("routing") or {}),
            "agency": agency,
            "agency_name": agency_name,
            "category": category,
            "reason": kind,
            "suggestions": [],
        }
        fields = {
            "status": "assigned",
            "category": category,
            "agency": agency,
            "routing": routing,
            "priority": priority,
            "due_at": acknowledge_by,
            "due_acknowledge_at": acknowledge_by,
            "due_resolve_at": self._sla.due(now, category, priority, "resolve"),
            "overdue": False,
            "updated_at": now,
        }
        entry: StatusEntry = {
            "status": "assigned",
            "from": report["status"],
            "at": now,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "public_note": None,
            "internal_note": f"{kind}: {reason}",
            "agency": agency,
            # what the report moved from and to, so statistics can be replayed from the report alone
            "category": category,
            "from_agency": report.get("agency"),
            "from_category": report.get("category"),
        }
        classification = report.get("classification") or {}
        correction: Correction = {
            "report_id": report["_id"],
            "report_code": report["code"],
            "kind": kind,
            "reason": reason,
            "text": report["description"],
            "model_category": classification.get("category"),
            "model_confidence": classification.get("confidence"),
            "old_category": report.get("category"),
            "new_category": category,
            "old_agency": report.get("agency"),
            "new_agency": agency,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "at": now,
        }

        async def record_correction(_: Report, writes: TransactionWrites) -> None:
            self._corrections.record(correction, writes)

        edit = ReportEdit(
            "reroute",
            fields,
            {"status_history": entry},
            also=record_correction,
            audit=Audited(kind, {"from": report.get("agency"), "to": agency, "category": category}),
        )
        return await self._writer.update(report, edit, actor=principal, at=now, expected_version=report["version"])

    async def set_priority(
        self, principal: Principal, report_id: ObjectId, priority: str, reason: str, expected_version: int
    ) -> Report:
        """Staff know better than the text cues: due dates follow the new priority from routing time."""
        report = await self._open_report(principal, report_id, expected_version)
        routed_at = next(
            (e["at"] for e in reversed(report["status_history"]) if e["status"] == "assigned"), report["created_at"]
        )
        category = report.get("category")
        acknowledge_by = self._sla.due(routed_at, category, priority, "acknowledge")
        resolve_by = self._sla.due(routed_at, category, priority, "resolve")
        now = utc_now()
        due_at = resolve_by if report["status"] == "in_progress" else acknowledge_by
        fields = {
            "priority": priority,
            "due_acknowledge_at": acknowledge_by,
            "due_resolve_at": resolve_by,
            "due_at": due_at,
            "overdue": due_at < now,
            "updated_at": now,
        }
        edit = ReportEdit(
            "priority",
            fields,
            audit=Audited("priority", {"from": report.get("priority"), "to": priority, "reason": reason}),
        )
        return await self._writer.update(report, edit, actor=principal, at=now, expected_version=expected_version)

    async def add_note(
        self, principal: Principal, report_id: ObjectId, text: str, public: bool, attachments: list[str] | None = None
    ) -> Report:
        """Notes only add, so they need no If-Match; they still bump the version (ETags go stale).
        With attachments they are checked against the version read: two requests never use one photo."""
        report = await load_visible(self._repo, principal, report_id)
        if not text.strip():
            raise Unprocessable("note_empty")
        outcome = await self._outcomes.of_note(report, attachments or [])
        note: Note = {
            "at": utc_now(),
            "by_uid": principal.uid,
            "by_role": principal.role,
            "text": text.strip(),
            "visibility": "public" if public else "internal",
        }
        if outcome.attachments:  # a note's outcome is only its attachments
            note["attachments"] = outcome.attachments
        fields = {"updated_at": note["at"], **outcome.fields}
        # the author hears about replies, not internal notes: those publish no change
        edit = (
            ReportEdit("reply", fields, {"notes": note}, public_note=note["text"])
            if public
            else ReportEdit(None, fields, {"notes": note})
        )
        updated = await self._writer.update(
            report,
            edit,
            actor=principal,
            at=note["at"],
            expected_version=report["version"] if outcome.attachments else None,
        )
        await self._outcomes.committed(outcome)
        return updated
