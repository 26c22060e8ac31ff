"""Staff actions besides status changes: reroute (reassign, recategorise), priority, notes.

Rerouting an open report hands it to an agency afresh: status ``assigned``, priority and
due dates recomputed from now (the new agency's clock starts when it gets the report).
Every reroute is also a correction (report text, the model's prediction and confidence, old
and new label and agency, who, when, why) written in the same transaction, which
``phananh export-corrections`` turns into training lines for the classifier.
"""

from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient

from api.audit.repository import AuditRepository
from api.auth import Principal
from api.changes import ReportChange, ReportChanges
from api.corrections.repository import CorrectionRepository
from api.db import run_in_transaction, utc_now
from api.errors import AppError
from api.reports.repository import ReportRepository
from api.reports.service import ReportService
from api.triage.sla import SlaPolicy
from api.triage.workflow import OPEN_STATUSES
from classifiers.routing.rules import WARD_AGENCY_PREFIX, agency_for
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex


class TriageActions:
    def __init__(self, client: AsyncMongoClient, reports: ReportService, repo: ReportRepository,
                 audit: AuditRepository, corrections: CorrectionRepository, taxonomy: Taxonomy, wards: WardIndex,
                 sla: SlaPolicy, changes: ReportChanges) -> None:
        self._client = client
        self._changes = changes
        self._reports = reports
        self._repo = repo
        self._audit = audit
        self._corrections = corrections
        self._taxonomy = taxonomy
        self._wards = wards
        self._sla = sla

    async def _open_report(self, principal: Principal, report_id: ObjectId, expected_version: int) -> dict[str, Any]:
        report = await self._reports.get_visible(principal, report_id)
        if report["version"] != expected_version:
            raise AppError(412, "precondition_failed")
        if report["status"] not in OPEN_STATUSES:
            raise AppError(409, "report_not_open")
        return report

    def _agency_name(self, agency: str) -> str:
        if agency.startswith(WARD_AGENCY_PREFIX):
            ward = self._wards.by_code(agency.removeprefix(WARD_AGENCY_PREFIX))
            if ward is not None:
                return f"UBND {ward.kind.lower()} {ward.name}"
        elif agency in self._taxonomy.agencies:
            return self._taxonomy.agencies[agency].name_vi
        raise AppError(422, "agency_unknown")

    async def reassign(self, principal: Principal, report_id: ObjectId, agency: str, reason: str,
                       expected_version: int) -> dict[str, Any]:
        report = await self._open_report(principal, report_id, expected_version)
        name = self._agency_name(agency)
        if agency == report.get("agency"):
            raise AppError(409, "reassign_same_agency")
        category = report.get("category")
        return await self._reroute(principal, report, category, agency, name, reason, "reassign")

    async def recategorise(self, principal: Principal, report_id: ObjectId, category: str, reason: str,
                           expected_version: int) -> dict[str, Any]:
        """Sets the category and routes the report by it: one action for a low-confidence report."""
        report = await self._open_report(principal, report_id, expected_version)
        if category not in self._taxonomy.categories:
            raise AppError(422, "category_unknown")
        ward = self._wards.by_code(report["ward"]["code"]) if report.get("ward") else None
        agency, name = agency_for(category, ward, self._taxonomy)
        return await self._reroute(principal, report, category, agency, name, reason, "recategorise")

    async def _reroute(self, principal: Principal, report: dict[str, Any], category: str | None, agency: str,
                       agency_name: str, reason: str, kind: str) -> dict[str, Any]:
        now = utc_now()
        priority = self._sla.priority(category, report["description"]) if kind == "recategorise" else report.get(
            "priority", "normal")
        acknowledge_by = self._sla.due(now, category, priority, "acknowledge")
        routing = {**(report.get("routing") or {}), "agency": agency, "agency_name": agency_name, "category": category,
                   "reason": kind, "suggestions": []}
        fields = {"status": "assigned", "category": category, "agency": agency, "routing": routing,
                  "priority": priority, "due_at": acknowledge_by, "due_acknowledge_at": acknowledge_by,
                  "due_resolve_at": self._sla.due(now, category, priority, "resolve"), "overdue": False,
                  "updated_at": now}
        entry = {"status": "assigned", "from": report["status"], "at": now, "by_uid": principal.uid,
                 "by_role": principal.role, "public_note": None, "internal_note": f"{kind}: {reason}", "agency": agency,
                 # what the report moved from and to, so statistics can be replayed from the report alone
                 "category": category, "from_agency": report.get("agency"), "from_category": report.get("category")}
        classification = report.get("classification") or {}
        correction = {"report_id": report["_id"], "report_code": report["code"], "kind": kind, "reason": reason,
                      "text": report["description"], "model_category": classification.get("category"),
                      "model_confidence": classification.get("confidence"), "old_category": report.get("category"),
                      "new_category": category, "old_agency": report.get("agency"), "new_agency": agency,
                      "by_uid": principal.uid, "by_role": principal.role, "at": now}

        async def write(session: Any) -> dict[str, Any] | None:
            updated = await self._repo.update_versioned(report["_id"], report["version"], fields,
                                                        {"status_history": entry}, session)
            if updated is not None:
                await self._corrections.record(correction, session)
                await self._audit.record(report["_id"], kind, principal.uid, principal.role, now,
                                         {"from": report.get("agency"), "to": agency, "category": category}, session)
                await self._changes.publish(ReportChange("reroute", report, updated, now), session)
            return updated

        return self._committed(await run_in_transaction(self._client, write))

    async def set_priority(self, principal: Principal, report_id: ObjectId, priority: str, reason: str,
                           expected_version: int) -> dict[str, Any]:
        """Staff know better than the text cues: due dates follow the new priority from routing time."""
        report = await self._open_report(principal, report_id, expected_version)
        routed_at = next((e["at"] for e in reversed(report["status_history"]) if e["status"] == "assigned"),
                         report["created_at"])
        category = report.get("category")
        acknowledge_by = self._sla.due(routed_at, category, priority, "acknowledge")
        resolve_by = self._sla.due(routed_at, category, priority, "resolve")
        now = utc_now()
        due_at = resolve_by if report["status"] == "in_progress" else acknowledge_by
        fields = {"priority": priority, "due_acknowledge_at": acknowledge_by, "due_resolve_at": resolve_by,
                  "due_at": due_at, "overdue": due_at < now, "updated_at": now}

        async def write(session: Any) -> dict[str, Any] | None:
            updated = await self._repo.update_versioned(report_id, expected_version, fields, session=session)
            if updated is not None:
                await self._audit.record(report_id, "priority", principal.uid, principal.role, now,
                                         {"from": report.get("priority"), "to": priority, "reason": reason}, session)
                await self._changes.publish(ReportChange("priority", report, updated, now), session)
            return updated

        return self._committed(await run_in_transaction(self._client, write))

    async def add_note(self, principal: Principal, report_id: ObjectId, text: str, public: bool) -> dict[str, Any]:
        """Notes only add, so they need no If-Match; they still bump the version (ETags go stale)."""
        report = await self._reports.get_visible(principal, report_id)
        if not text.strip():
            raise AppError(422, "note_empty")
        note = {"at": utc_now(), "by_uid": principal.uid, "by_role": principal.role, "text": text.strip(),
                "visibility": "public" if public else "internal"}

        async def write(session: Any) -> dict[str, Any] | None:
            updated = await self._repo.update_versioned(report_id, None, {"updated_at": note["at"]}, {"notes": note},
                                                        session)
            if updated is not None and public:  # the author hears about replies, not internal notes
                await self._changes.publish(ReportChange("reply", report, updated, note["at"], note["text"]), session)
            return updated

        return self._committed(await run_in_transaction(self._client, write))

    @staticmethod
    def _committed(updated: dict[str, Any] | None) -> dict[str, Any]:
        if updated is None:  # another staff member changed the report between our read and our write
            raise AppError(412, "precondition_failed")
        return updated
