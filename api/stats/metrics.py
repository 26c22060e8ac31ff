"""What the statistics count: pure functions shared by the change applier and the rebuild.

A report change becomes a list of ``(cell, field, amount)`` increments dated by the day (in
Asia/Ho_Chi_Minh) of the change. The change log records the states before and after the
change (``change_record``) and the applier turns the record into increments after commit
(``record_increments``); the rebuild replays them from the stored report. Both go through
``change_increments``, so "rollups equal a recomputation" holds by construction as long as
the two see the same states.

Definitions (README "Statistics"):
- acknowledged: the first time a report leaves received/assigned for in_progress, or is
  rejected without ever being in progress; once per report. On time: at or before the
  acknowledge deadline in force at that moment. Time to acknowledge: from filing.
- resolved: every move into ``resolved`` (a reopened report resolved again counts again). On
  time: at or before the resolve deadline in force. Time to resolve: from filing.
- overdue: a flag raised by the deadline job (at most once per deadline).
- backlog: open reports (received, assigned, in_progress, reopened) in a cell; stored as
  deltas, so the backlog at the end of a day is the sum of all deltas up to that day.
- escalated: each step up the supervision chain (the report's ``escalation_level`` rising).
- appealed, appeal_upheld, appeal_overturned: an appeal filed, then decided; counted in the
  cell the appeal contests (before an overturned report moves to another agency).
- resolved_with_proof: moves into ``resolved`` whose status change carried a photo.
- rejected_for.<reason>: moves into ``rejected``, per reason code (every rejection has one
  since reasons became required; older ones count in ``rejected`` only).
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from api.changelog.documents import StatisticsState, StatsChange
from api.domain import OPEN_STATUSES

CITY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NONE = "none"  # a report not yet categorised or routed
COUNTERS = (
    "received",
    "acknowledged",
    "acknowledged_on_time",
    "resolved",
    "resolved_on_time",
    "rejected",
    "reopened",
    "overdue",
    "merged",
    "rerouted",
    "backlog",
    "rating_sum",
    "rating_count",
    *("escalated", "appealed", "appeal_upheld", "appeal_overturned"),
)  # supervision (issue 20)
HISTOGRAMS = ("ack_h", "resolve_h")
# Proof and reasoned rejections (issue 20). The reason codes are those of
# classifiers/routing/data/rejection_reasons.json, which is refused at start-up if it names another.
PROOF_COUNTERS = ("resolved_with_proof",)
REJECTION_REASONS = (
    "not_in_remit",
    "insufficient_information",
    "private_dispute",
    "duplicate",
    "already_handled",
    "abusive_content",
)
REJECTED_FOR = "rejected_for"
DIMS = ("total", "agency", "category", "ward", "agency_category", "agency_ward", "cell")
ACKNOWLEDGING = ("in_progress", "rejected")

# Histogram buckets: 0 = under a minute; bucket i >= 1 holds [60 s * r^(i-1), 60 s * r^i) with r = sqrt(2);
# the last bucket (~1.4 years and more) is open-ended. A percentile is reported as its bucket's geometric
# midpoint, so for values of a minute or more it is within a factor 2^(1/4) (-16% / +19%) of the truth.
BUCKET_RATIO = math.sqrt(2)
LAST_BUCKET = 40


@dataclass(frozen=True)
class Cell:
    agency: str
    category: str
    ward: str

    def groups(self) -> dict[str, str]:
        """The group this cell falls in along each dimension."""
        return {
            "total": "*",
            "agency": self.agency,
            "category": self.category,
            "ward": self.ward,
            "agency_category": f"{self.agency}|{self.category}",
            "agency_ward": f"{self.agency}|{self.ward}",
            "cell": f"{self.agency}|{self.category}|{self.ward}",
        }


@dataclass(frozen=True)
class State:
    """What the counters need to know about a report at one moment."""

    status: str
    cell: Cell
    created_at: datetime
    acknowledged: bool = False
    due_acknowledge_at: datetime | None = None
    due_resolve_at: datetime | None = None
    escalation_level: int = 0
    appeal: str | None = None  # None, "filed", or the decision's outcome
    proof: bool = False  # resolved, and the resolving change carried a photo
    rejection_reason: str | None = None  # rejected, for this reason


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def city_day(moment: datetime) -> date:
    return aware(moment).astimezone(CITY_TZ).date()


def day_start(day: date) -> datetime:
    """The moment a city day begins, in UTC."""
    return datetime.combine(day, time.min, CITY_TZ).astimezone(UTC)


def bucket(seconds: float) -> int:
    if seconds < 60:
        return 0
    return min(LAST_BUCKET, 1 + int(math.floor(math.log(seconds / 60, BUCKET_RATIO) + 1e-9)))


def bucket_value(index: int) -> float:
    """The value reported for a bucket: its geometric midpoint (30 s for the sub-minute bucket)."""
    if index == 0:
        return 30.0
    return 60 * BUCKET_RATIO ** (index - 1) * math.sqrt(BUCKET_RATIO)


def cell_of(report: Mapping[str, Any]) -> Cell:
    ward = report.get("ward") or {}
    return Cell(report.get("agency") or NONE, report.get("category") or NONE, ward.get("code") or NONE)


def outcome_of(
    status: str, resolution: Mapping[str, Any] | None, rejection: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The proof and rejection fields of a State: meaningful only in the status they describe."""
    return {
        "proof": status == "resolved" and bool((resolution or {}).get("photos")),
        "rejection_reason": (rejection or {}).get("reason_code") if status == "rejected" else None,
    }


def state_of(report: Mapping[str, Any]) -> State:
    """The state of a stored report document (the listener's before/after)."""
    return State(
        status=report["status"],
        cell=cell_of(report),
        created_at=report["created_at"],
        acknowledged=any(e["status"] in ACKNOWLEDGING for e in report.get("status_history", [])),
        due_acknowledge_at=report.get("due_acknowledge_at"),
        due_resolve_at=report.get("due_resolve_at"),
        escalation_level=report.get("escalation_level", 0),
        appeal=appeal_stage(report.get("appeal")),
        **outcome_of(report["status"], report.get("resolution"), report.get("rejection")),
    )


def appeal_stage(appeal: dict[str, Any] | None) -> str | None:
    return None if not appeal else appeal.get("outcome") or "filed"


def _state_document(state: State) -> StatisticsState:
    cell = state.cell
    return {
        "status": state.status,
        "agency": cell.agency,
        "category": cell.category,
        "ward": cell.ward,
        "created_at": state.created_at,
        "acknowledged": state.acknowledged,
        "due_acknowledge_at": state.due_acknowledge_at,
        "due_resolve_at": state.due_resolve_at,
        "escalation_level": state.escalation_level,
        "appeal": state.appeal,
        "proof": state.proof,
        "rejection_reason": state.rejection_reason,
    }


def _state_from_document(doc: StatisticsState) -> State:
    return State(
        status=doc["status"],
        cell=Cell(doc["agency"], doc["category"], doc["ward"]),
        created_at=doc["created_at"],
        acknowledged=doc["acknowledged"],
        due_acknowledge_at=doc.get("due_acknowledge_at"),
        due_resolve_at=doc.get("due_resolve_at"),
        escalation_level=doc.get("escalation_level", 0),
        appeal=doc.get("appeal"),
        proof=doc.get("proof", False),
        rejection_reason=doc.get("rejection_reason"),
    )


def change_record(kind: str, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> StatsChange:
    """What the counters need to know of one change, kept in its change-log record.

    The states are taken from the reports as the transaction saw them, so applying the record
    later (or twice, by a replay) counts exactly what a listener inside the transaction would have.
    """
    stars = (after.get("rating") or {}).get("stars") if kind == "rating" else None
    return {
        "before": None if before is None else _state_document(state_of(before)),
        "after": _state_document(state_of(after)),
        "stars": stars,
    }


def record_increments(kind: str, at: datetime, record: StatsChange) -> list[tuple[Cell, str, int]]:
    """The increments of a change-log record (see ``change_record``)."""
    before = None if record["before"] is None else _state_from_document(record["before"])
    return change_increments(kind, before, _state_from_document(record["after"]), at, record["stars"])


def _on_time(at: datetime, due: datetime | None) -> bool:
    return due is not None and aware(at) <= aware(due)


def change_increments(
    kind: str, before: State | None, after: State, at: datetime, stars: int | None = None
) -> list[tuple[Cell, str, int]]:
    """The counter increments of one report change (see the module docstring for definitions)."""
    out: list[tuple[Cell, str, int]] = []
    cell = after.cell
    if before is None:
        out.append((cell, "received", 1))
    elif before.status != after.status:
        if after.status in ACKNOWLEDGING and not before.acknowledged:
            out += [(cell, "acknowledged", 1), (cell, f"ack_h.{bucket((at - after.created_at).total_seconds())}", 1)]
            if _on_time(at, before.due_acknowledge_at):
                out.append((cell, "acknowledged_on_time", 1))
        if after.status == "resolved":
            out += [(cell, "resolved", 1), (cell, f"resolve_h.{bucket((at - after.created_at).total_seconds())}", 1)]
            if _on_time(at, before.due_resolve_at):
                out.append((cell, "resolved_on_time", 1))
        if after.status in ("rejected", "reopened"):
            out.append((cell, after.status, 1))
        out += _outcome_increments(after)
    if kind == "merge":
        out.append((cell, "merged", 1))
    elif kind == "reroute":
        out.append((cell, "rerouted", 1))
    elif kind == "overdue":
        out.append((cell, "overdue", 1))
    elif kind == "rating" and stars is not None:
        out += [(cell, "rating_sum", int(stars)), (cell, "rating_count", 1)]
    if before is not None:
        out += _supervision_increments(before, after)
    if before is not None and before.status in OPEN_STATUSES:
        out.append((before.cell, "backlog", -1))
    if after.status in OPEN_STATUSES:
        out.append((cell, "backlog", 1))
    return out


APPEAL_COUNTERS = {"filed": "appealed", "upheld": "appeal_upheld", "overturned": "appeal_overturned"}


def _supervision_increments(before: State, after: State) -> list[tuple[Cell, str, int]]:
    """Escalations and appeals, from the states alone (so a replay counts them the same way)."""
    out = [(after.cell, "escalated", 1)] * max(0, after.escalation_level - before.escalation_level)
    if after.appeal != before.appeal and after.appeal is not None:
        out.append((before.cell, APPEAL_COUNTERS[after.appeal], 1))
    return out


def _outcome_increments(after: State) -> list[tuple[Cell, str, int]]:
    """Resolutions with proof, rejections per reason (the move into that status is the caller's test)."""
    if after.status == "resolved" and after.proof:
        return [(after.cell, "resolved_with_proof", 1)]
    if after.status == "rejected" and after.rejection_reason in REJECTION_REASONS:
        return [(after.cell, f"{REJECTED_FOR}.{after.rejection_reason}", 1)]
    return []


Increments = dict[tuple[str, str, str], dict[str, int]]  # (day, dim, group) -> field -> amount


def new_increments() -> Increments:
    return defaultdict(lambda: defaultdict(int))


def by_document(day: date, increments: list[tuple[Cell, str, int]], into: Increments) -> Increments:
    """Spread cell increments over every dimension's group document of that day (added to ``into``)."""
    key = day.isoformat()
    for cell, field, amount in increments:
        for dim, group in cell.groups().items():
            into[(key, dim, group)][field] += amount
    return into


def without_zeros(docs: Increments) -> dict[tuple[str, str, str], dict[str, int]]:
    """Drop fields that sum to zero (a move within one ward) and documents left empty."""
    cleaned = {key: {f: n for f, n in fields.items() if n} for key, fields in docs.items()}
    return {key: fields for key, fields in cleaned.items() if fields}


def nested(fields: dict[str, int]) -> dict[str, Any]:
    """Flat increment names ("ack_h.5") as the stored document shape ({"ack_h": {"5": n}})."""
    out: dict[str, Any] = {}
    for field, amount in fields.items():
        head, _, bucket_key = field.partition(".")
        if bucket_key:
            out.setdefault(head, {})[bucket_key] = amount
        else:
            out[head] = amount
    return out
