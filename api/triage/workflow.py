"""The report workflow as one table: which status may follow which, by whom, with what.

Every status change in the service goes through ``check_transition``; adding a transition
is adding a row, and the tests walk the whole table (legal and illegal pairs, every role).

    received -> assigned -> in_progress -> resolved -> closed
         \\          \\            \\            \\-> reopened -> assigned | in_progress
          \\-> rejected (public reason) <-----------/
"""

from dataclasses import dataclass
from typing import Literal

from api.domain import STATUSES, TRIAGE_ROLES, WORKING_ROLES, Role, Status

SYSTEM = "system"  # the service itself: routing at intake, the auto-close job


@dataclass(frozen=True)
class Transition:
    roles: tuple[str, ...]
    public_note_required: bool = False
    author_only: bool = False  # the resident who filed the report (reopening)


TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("received", "assigned"): Transition(roles=(*TRIAGE_ROLES, SYSTEM)),
    ("received", "rejected"): Transition(roles=TRIAGE_ROLES, public_note_required=True),
    ("assigned", "in_progress"): Transition(roles=WORKING_ROLES),
    ("assigned", "rejected"): Transition(roles=WORKING_ROLES, public_note_required=True),
    ("in_progress", "resolved"): Transition(roles=WORKING_ROLES, public_note_required=True),
    ("in_progress", "rejected"): Transition(roles=WORKING_ROLES, public_note_required=True),
    ("resolved", "closed"): Transition(roles=(*TRIAGE_ROLES, SYSTEM)),
    ("resolved", "reopened"): Transition(roles=(Role.RESIDENT,), public_note_required=True, author_only=True),
    ("reopened", "assigned"): Transition(roles=(*TRIAGE_ROLES, SYSTEM)),
    ("reopened", "in_progress"): Transition(roles=WORKING_ROLES),
}


class TransitionRefused(Exception):
    """Why a status change is not allowed; ``key`` names the catalogue message."""

    def __init__(self, key: str, status: int = 409) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


def check_transition(
    current: str, target: str, role: str, *, is_author: bool = False, public_note: str | None = None
) -> Transition:
    """The rule that allows ``current -> target`` for this actor, or TransitionRefused."""
    if target not in STATUSES:
        raise TransitionRefused("status_unknown", 422)
    rule = TRANSITIONS.get((current, target))
    if rule is None:
        raise TransitionRefused("transition_illegal")
    if role not in rule.roles or (rule.author_only and not is_author):
        raise TransitionRefused("transition_forbidden", 403)
    if rule.public_note_required and not (public_note and public_note.strip()):
        raise TransitionRefused("public_note_required", 422)
    return rule


def next_deadline_field(status: str) -> Literal["due_acknowledge_at", "due_resolve_at"] | None:
    """Which due date the queue sorts by in a status: acknowledging, then resolving, then none."""
    if status in (Status.RECEIVED, Status.ASSIGNED, Status.REOPENED):
        return "due_acknowledge_at"
    return "due_resolve_at" if status == Status.IN_PROGRESS else None


def allowed_targets(current: str, role: str) -> list[str]:
    """What this role may move a report to next (shown to staff apps as available actions)."""
    return [target for (source, target), rule in TRANSITIONS.items() if source == current and role in rule.roles]
