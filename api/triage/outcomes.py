"""Proof and reasons: what a status change or note must carry, and what it leaves on the report.

- Attachments: photos staff uploaded for this report (``POST .../attachments``) and no change
  used yet. An id of another report, an unknown one, or one already used is refused before
  anything is written; the report change records the ids (``attachment_ids`` on the report,
  under a version check, so two requests never both use one) and the files are marked
  attached after it commits (the orphan sweep finishes that after a crash).
- Proof: moving to ``resolved`` in a category whose proof rule is on (``proof.json``) needs at
  least one photo on that change; the resolution (note, photos, when) is kept on the report
  for the author's before/after view, cleared when the author reopens it.
- Reasons: rejecting needs a reason code from ``rejection_reasons.json`` and, for "not in our
  remit", where to go instead; kept on the report and in the history entry (statistics).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from api.errors import Conflict, Unprocessable
from api.photos.service import PhotoService, RawUpload
from api.triage.schemas import (
    RejectionReasonOut,
    RejectionReasons,
    ReplyTemplateOut,
    ReplyTemplates,
    StatusChange,
)
from api.triage.tables import RejectionRefused, TriageTables
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.documents import Rejection, Report, Resolution


class EntryExtras(TypedDict, total=False):
    """What a change's outcome adds to its history entry (or note: attachments only)."""

    attachments: list[str]
    reason_code: str
    redirect: str | None


@dataclass(frozen=True)
class Outcome:
    fields: dict[str, Any] = field(default_factory=dict)  # set on the report
    entry: EntryExtras = field(default_factory=EntryExtras)  # added to the history entry or note
    attachments: list[str] = field(default_factory=list)  # to mark attached once the change committed


def _is_photo_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)


class Outcomes:
    def __init__(
        self, tables: TriageTables, taxonomy: Taxonomy, wards: WardIndex, photos: PhotoService, max_files: int
    ) -> None:
        self._tables = tables
        self._taxonomy = taxonomy
        self._wards = wards
        self._photos = photos
        self._max_files = max_files

    async def upload(self, report: Report, uploads: list[RawUpload]) -> list[str]:
        """1 to ``max_files`` photos through the intake pipeline, stored as unattached; their ids."""
        if not 1 <= len(uploads) <= self._max_files:
            raise Unprocessable("attachment_count", limit=self._max_files)
        processed = await self._photos.process(uploads)
        return [ref["id"] for ref in await self._photos.save_attachments(str(report["_id"]), processed)]

    async def _claim(self, report: Report, ids: list[str]) -> Outcome:
        ids = list(dict.fromkeys(ids))  # the same id twice in one request is one photo
        used = set(report.get("attachment_ids", []))
        for photo_id in ids:
            if photo_id in used:
                raise Conflict("attachment_used", id=photo_id)
            pending = await self._photos.unattached(photo_id) if _is_photo_id(photo_id) else None
            if pending is None:
                raise Unprocessable("attachment_unknown", id=photo_id[:40])
            if pending.report_id != str(report["_id"]):
                raise Unprocessable("attachment_other_report", id=photo_id)
        if not ids:
            return Outcome()
        return Outcome({"attachment_ids": [*report.get("attachment_ids", []), *ids]}, {"attachments": ids}, ids)

    async def of_note(self, report: Report, ids: list[str]) -> Outcome:
        return await self._claim(report, ids)

    async def of_status_change(self, report: Report, change: StatusChange, now: datetime) -> Outcome:
        claimed = await self._claim(report, change.attachments)
        fields, entry = dict(claimed.fields), EntryExtras(**claimed.entry)
        if change.status == "resolved":
            if self._tables.proof_required(report.get("category")) and not claimed.attachments:
                raise Unprocessable("proof_required")
            resolution: Resolution = {"note": change.public_note, "photos": claimed.attachments, "at": now}
            fields["resolution"] = resolution
        if change.status == "rejected":
            try:
                rejection = self._tables.rejection(change.reason_code, change.redirect, self._taxonomy, self._wards)
            except RejectionRefused as refused:
                raise Unprocessable(refused.key) from refused
            stored: Rejection = {**rejection, "note": change.public_note, "at": now}
            fields["rejection"] = stored
            entry["reason_code"] = rejection["reason_code"]
            entry["redirect"] = change.redirect
        elif change.reason_code or change.redirect:
            raise Unprocessable("rejection_reason_only_when_rejecting")
        return Outcome(fields, entry, claimed.attachments)

    async def committed(self, outcome: Outcome) -> None:
        await self._photos.attach(outcome.attachments)

    def templates(self, category: str | None, status: str | None, report: Report | None, locale: str) -> ReplyTemplates:
        """Templates to start a reply from; for a report, also filled in (staff still edit and send)."""
        if report is not None:
            category = category or report.get("category")
        values = self._tables.placeholder_values(report) if report is not None else None
        return ReplyTemplates(
            placeholders={name: text.get(locale) or text["vi"] for name, text in self._tables.placeholders.items()},
            templates=[
                ReplyTemplateOut(
                    key=t.key,
                    category=t.category,
                    status=t.status,
                    vi=t.vi,
                    en=t.en,
                    rendered=None if values is None else {"vi": t.vi.format(**values), "en": t.en.format(**values)},
                )
                for t in self._tables.templates_for(category, status)
            ],
        )

    def rejection_reasons(self, locale: str) -> RejectionReasons:
        reasons = self._tables.reasons.values()
        return RejectionReasons(
            reasons=[
                RejectionReasonOut(code=r.code, name=r.en if locale == "en" else r.vi, redirect=r.redirect)
                for r in reasons
            ],
            channels={code: name.get(locale) or name["vi"] for code, name in self._tables.channels.items()},
        )
