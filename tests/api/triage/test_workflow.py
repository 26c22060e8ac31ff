"""The whole transition table: every (from, to) pair for every role, legal or refused."""

import itertools

import pytest

from api.domain import STATUSES
from api.triage.workflow import SYSTEM, TRANSITIONS, TransitionRefused, allowed_targets, check_transition

ROLES = ("resident", "agency_staff", "triage_officer", "leadership", "admin", SYSTEM)
NOTE = "Đã vá ổ gà, mời bà con kiểm tra."


@pytest.mark.parametrize("current, target, role", list(itertools.product(STATUSES, STATUSES, ROLES)))
def test_every_pair_for_every_role(current, target, role):
    rule = TRANSITIONS.get((current, target))
    if rule is None:
        with pytest.raises(TransitionRefused) as refused:
            check_transition(current, target, role, is_author=True, public_note=NOTE)
        assert (refused.value.key, refused.value.status) == ("transition_illegal", 409)
    elif role not in rule.roles:
        with pytest.raises(TransitionRefused) as refused:
            check_transition(current, target, role, is_author=True, public_note=NOTE)
        assert refused.value.status == 403
    else:
        assert check_transition(current, target, role, is_author=True, public_note=NOTE) is rule


@pytest.mark.parametrize("current, target", [pair for pair, rule in TRANSITIONS.items() if rule.public_note_required])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_transitions_that_need_a_public_note(current, target, note):
    role = next(r for r in TRANSITIONS[(current, target)].roles)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, target, role, is_author=True, public_note=note)
    assert (refused.value.key, refused.value.status) == ("public_note_required", 422)


def test_only_the_author_reopens():
    check_transition("resolved", "reopened", "resident", is_author=True, public_note="Vẫn còn ổ gà")
    with pytest.raises(TransitionRefused) as refused:
        check_transition("resolved", "reopened", "resident", is_author=False, public_note="Vẫn còn ổ gà")
    assert refused.value.status == 403


def test_unknown_status_is_a_validation_error():
    with pytest.raises(TransitionRefused) as refused:
        check_transition("received", "done", "admin")
    assert refused.value.status == 422


def test_terminal_states_lead_nowhere():
    assert allowed_targets("closed", "admin") == [] and allowed_targets("rejected", "admin") == []


def test_allowed_targets_for_agency_staff():
    assert allowed_targets("assigned", "agency_staff") == ["in_progress", "rejected"]
    assert allowed_targets("in_progress", "agency_staff") == ["resolved", "rejected"]
