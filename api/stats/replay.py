"""A stored report replayed as the changes that made it, for ``phananh stats rebuild``.

The report carries its own history: ``status_history`` (each status change with the
deadlines in force, each reroute with the agency and category it moved from and to, each
merge, an overturned appeal's hand-over, each resolution's photos and each rejection's reason),
``overdue_marks`` (every deadline-job flag), ``rating``, ``escalations`` (each step up the
chain) and ``appeal`` (filed, then decided). Replaying them through ``change_increments``
gives the same increments the live listener produced.
"""

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from api.stats.metrics import ACKNOWLEDGING, NONE, Cell, State, aware, cell_of, outcome_of

Replayed = tuple[str, State | None, State, datetime, int | None]  # kind, before, after, at, stars


def _intake_cell(report: dict[str, Any]) -> Cell:
    """The cell at intake: what the first reroute moved the report from, or where it still is."""
    final = cell_of(report)
    first = next((e for e in report.get("status_history", []) if "from_agency" in e), None)
    if first is None:
        return final
    return Cell(first["from_agency"] or NONE, first.get("from_category") or NONE, final.ward)


def _intake_length(history: list[dict[str, Any]], created_at: datetime) -> int:
    """How many history entries intake wrote: received, plus assigned when auto-routed."""
    if (
        len(history) > 1
        and history[1].get("by_role") == "system"
        and history[1]["at"] == created_at
        and history[1]["status"] == "assigned"
        and "from_agency" not in history[1]
    ):
        return 2
    return 1


def _supervision_events(report: dict[str, Any], order: int) -> list[tuple[datetime, int, str, dict[str, Any]]]:
    """Escalations and the appeal's filing and (upheld) decision, as state changes; an overturned
    decision is replayed from its status-history entry, since it also moves the report."""
    events = [
        (aware(e["at"]), order, "escalation", {"escalation_level": e["level"]}) for e in report.get("escalations", [])
    ]
    appeal = report.get("appeal")
    if appeal:
        events.append((aware(appeal["at"]), order, "appeal", {"appeal": "filed"}))
        if appeal.get("outcome") == "upheld":
            events.append((aware(appeal["decided_at"]), order, "appeal", {"appeal": "upheld"}))
    return events


def replay(report: dict[str, Any]) -> Iterator[Replayed]:
    history = report.get("status_history", [])
    created_at = aware(report["created_at"])
    intake = _intake_length(history, report["created_at"])
    state = State(
        status=history[intake - 1]["status"] if history else report["status"],
        cell=_intake_cell(report),
        created_at=created_at,
    )
    events: list[tuple[datetime, int, str, dict[str, Any]]] = [
        (aware(entry["at"]), index, "history", entry) for index, entry in enumerate(history[intake:])
    ]
    events += [(aware(at), len(history), "overdue", {}) for at in report.get("overdue_marks", [])]
    if report.get("rating"):
        events.append((aware(report["rating"]["at"]), len(history) + 1, "rating", report["rating"]))
    events += _supervision_events(report, len(history) + 2)
    yield "received", None, state, created_at, None
    for at, _, source, entry in sorted(events, key=lambda e: (e[0], e[1])):
        if source == "overdue":
            yield "overdue", state, state, at, None
            continue
        if source == "rating":
            yield "rating", state, state, at, int(entry["stars"])
            continue
        if source in ("escalation", "appeal"):
            after = replace(state, **entry)
            yield source, state, after, at, None
            state = after
            continue
        kind, before = (
            "status",
            replace(
                state, due_acknowledge_at=entry.get("due_acknowledge_at"), due_resolve_at=entry.get("due_resolve_at")
            ),
        )
        cell, appeal = state.cell, state.appeal
        if entry.get("appeal"):  # overturned: handed to an agency again
            kind, appeal = "appeal", entry["appeal"]
            cell = Cell(entry["agency"] or NONE, entry.get("category", state.cell.category) or NONE, state.cell.ward)
        elif "from_agency" in entry or ("agency" in entry and entry.get("status") == "assigned"):
            kind = "reroute"
            cell = Cell(entry["agency"] or NONE, entry.get("category", state.cell.category) or NONE, state.cell.ward)
        elif entry.get("merged_into"):
            kind = "merge"
        # the resolving entry's attachments are the resolution's photos; a rejection's entry keeps its reason
        after = replace(
            state,
            status=entry["status"],
            cell=cell,
            appeal=appeal,
            acknowledged=state.acknowledged or entry["status"] in ACKNOWLEDGING,
            **outcome_of(entry["status"], {"photos": entry.get("attachments")}, entry),
        )
        yield kind, before, after, at, None
        state = after
