"""The triage data tables: which categories need a photo to resolve, why a report may be
rejected (and where to send its author instead), and the reply templates staff start from.

All three are JSON files next to the routing and SLA tables (``classifiers/routing/data``),
loaded once in the lifespan and checked against the taxonomy there, so a typo in a category
code or a placeholder stops the service at start-up instead of misleading a resident later.
"""

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.domain import STATUSES
from api.stats.metrics import CITY_TZ, REJECTION_REASONS, aware
from classifiers.routing.rules import WARD_AGENCY_PREFIX
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.documents import Labels, Redirect, RejectionCause, Report

ANY_CATEGORY = "*"
REDIRECT_RULES = ("required", "optional", "none")


class RejectionRefused(Exception):
    """Why a rejection's reason or redirect is not acceptable; ``key`` names the catalogue message."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class RejectionReason:
    code: str
    redirect: str  # required | optional | none
    vi: str
    en: str


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    category: str
    status: str
    vi: str
    en: str


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _read(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class TriageTables:
    proof: dict[str, bool]
    reasons: dict[str, RejectionReason]
    channels: dict[str, Labels]
    templates: tuple[ReplyTemplate, ...]
    placeholders: dict[str, dict[str, str]]  # name -> what it stands for, in vi and en

    @classmethod
    def load(cls, proof_file: Path, reasons_file: Path, templates_file: Path, taxonomy: Taxonomy) -> "TriageTables":
        proof = {code: bool(flag) for code, flag in _read(proof_file)["categories"].items()}
        if set(proof) != set(taxonomy.categories):
            raise ValueError(
                f"{proof_file}: categories must be exactly the taxonomy's "
                f"(missing {sorted(set(taxonomy.categories) - set(proof))}, "
                f"unknown {sorted(set(proof) - set(taxonomy.categories))})"
            )
        raw = _read(reasons_file)
        reasons = {code: RejectionReason(code, r["redirect"], r["vi"], r["en"]) for code, r in raw["reasons"].items()}
        if set(reasons) - set(REJECTION_REASONS) or any(r.redirect not in REDIRECT_RULES for r in reasons.values()):
            raise ValueError(
                f"{reasons_file}: reasons must be among {REJECTION_REASONS} (statistics count them), "
                f"redirect one of {REDIRECT_RULES}"
            )
        channels = raw["channels"]
        if set(channels) & set(taxonomy.agencies):
            raise ValueError(f"{reasons_file}: a channel code must not be an agency code")
        raw = _read(templates_file)
        placeholders, templates = raw["placeholders"], tuple(ReplyTemplate(**t) for t in raw["templates"])
        for template in templates:
            if template.category not in (ANY_CATEGORY, *taxonomy.categories) or template.status not in STATUSES:
                raise ValueError(f"{templates_file}: template {template.key}: unknown category or status")
            if not _fields(template.vi) | _fields(template.en) <= set(placeholders):
                raise ValueError(
                    f"{templates_file}: template {template.key}: placeholders must be {sorted(placeholders)}"
                )
        return cls(proof, reasons, channels, templates, placeholders)

    def proof_required(self, category: str | None) -> bool:
        return self.proof.get(category or "", False)

    def templates_for(self, category: str | None, status: str | None) -> list[ReplyTemplate]:
        """The category's own templates first, then those for every category."""
        wanted = [t for t in self.templates if status is None or t.status == status]
        if category is None:
            return wanted
        return [t for t in wanted if t.category == category] + [t for t in wanted if t.category == ANY_CATEGORY]

    def placeholder_values(self, report: Report) -> dict[str, str]:
        """What the placeholders stand for in one report (the deadline in Hanoi time)."""
        due = report.get("due_at")
        return {
            "code": report["code"],
            "agency": (report.get("routing") or {}).get("agency_name") or "",
            "due": aware(due).astimezone(CITY_TZ).strftime("%d/%m/%Y %H:%M") if due else "",
            "ward": (report.get("ward") or {}).get("name") or "",
        }

    def rejection(
        self, reason_code: str | None, redirect: str | None, taxonomy: Taxonomy, wards: WardIndex
    ) -> RejectionCause:
        """The ``rejection`` kept on the report (labels in both languages, so the author's view and
        push read it in theirs even if the table changes later), or RejectionRefused."""
        if not reason_code:
            raise RejectionRefused("rejection_reason_required")
        reason = self.reasons.get(reason_code)
        if reason is None:
            raise RejectionRefused("rejection_reason_unknown")
        if redirect and reason.redirect == "none":
            raise RejectionRefused("rejection_redirect_not_allowed")
        if not redirect and reason.redirect == "required":
            raise RejectionRefused("rejection_redirect_required")
        return {
            "reason_code": reason.code,
            "reason": {"vi": reason.vi, "en": reason.en},
            "redirect": self._redirect(redirect, taxonomy, wards) if redirect else None,
        }

    def _redirect(self, code: str, taxonomy: Taxonomy, wards: WardIndex) -> Redirect:
        if code in self.channels:
            return {"code": code, "kind": "channel", "name": {**self.channels[code]}}
        if code in taxonomy.agencies:
            agency = taxonomy.agencies[code]
            return {"code": code, "kind": "agency", "name": {"vi": agency.name_vi, "en": agency.name_en}}
        ward = wards.by_code(code.removeprefix(WARD_AGENCY_PREFIX)) if code.startswith(WARD_AGENCY_PREFIX) else None
        if ward is None:
            raise RejectionRefused("rejection_redirect_unknown")
        return {
            "code": code,
            "kind": "agency",
            "name": {"vi": f"UBND {ward.kind.lower()} {ward.name}", "en": f"{ward.name} People's Committee"},
        }
