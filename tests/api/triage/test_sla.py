"""Deadlines across nights, weekends and Tết, and urgency from category and text cues."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.triage.sla import SlaPolicy
from core.settings import ROUTING_DATA

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def policy() -> SlaPolicy:
    return SlaPolicy.load(ROUTING_DATA / "sla.json")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=HANOI)


def test_friday_afternoon_report_is_due_monday(policy):
    friday_4pm = at(2026, 11, 20, 16, 0)
    assert policy.due(friday_4pm, "road_damage", "normal", "acknowledge") == at(2026, 11, 23, 15, 0)


def test_weekend_report_starts_counting_monday_morning(policy):
    saturday_night = at(2026, 11, 21, 22, 30)
    assert policy.due(saturday_night, "road_damage", "normal", "acknowledge") == at(2026, 11, 23, 16, 0)


def test_urgent_report_at_night_is_due_next_working_morning(policy):
    tuesday_night = at(2026, 11, 24, 23, 0)
    assert policy.due(tuesday_night, "power_grid", "urgent", "resolve") == at(2026, 11, 25, 12, 0)


def test_tet_holidays_are_skipped(policy):
    before_tet = at(2026, 2, 13, 16, 0)  # Friday before the 2026 Tết break (16–20 Feb)
    assert policy.due(before_tet, "road_damage", "normal", "acknowledge") == at(2026, 2, 23, 15, 0)


def test_calendar_day_targets_ignore_working_hours(policy):
    start = at(2026, 11, 20, 16, 0)
    assert policy.due(start, "illegal_construction", "normal", "resolve") == start + timedelta(days=15)


def test_working_hours_between_is_the_inverse_of_adding_them(policy):
    start = at(2026, 11, 20, 10, 15)
    for hours in (0.5, 7, 9, 30, 100):
        due = policy.calendar.add_working_hours(start, hours)
        assert policy.calendar.working_hours_between(start, due) == pytest.approx(hours)


@pytest.mark.parametrize(
    "category, text, expected",
    [
        ("power_grid", "Dây điện ĐỨT rơi xuống đường, rất nguy hiểm", "urgent"),
        ("power_grid", "day dien dut nam giua ngo 12", "urgent"),
        ("trees_parks", "Cây đổ chắn ngang đường Láng", "urgent"),
        ("trees_parks", "Cây cần cắt tỉa cành", "normal"),
        ("noise", "cháy cả đêm karaoke", "normal"),  # noise cannot be urgent, whatever the words
        ("flooding_drainage", "Deep flood on Nguyen Trai, water up to the knees", "urgent"),
        ("fire_hazard", "Kho hàng bốc cháy ở ngõ 5", "urgent"),
        ("road_damage", "xe chạy qua ổ gà bị xóc", "normal"),  # 'chạy' folds like 'cháy'; must not be urgent
        ("flooding_drainage", "trời sắp mưa to mà cống vẫn tắc", "normal"),  # 'sắp' folds like 'sập'
    ],
)
def test_priority_from_category_and_cues(policy, category, text, expected):
    assert policy.priority(category, text) == expected


@pytest.mark.parametrize("day", [(2028, 1, 24), (2028, 1, 26), (2028, 1, 28), (2030, 2, 1), (2030, 2, 4), (2030, 2, 6)])
def test_tet_of_any_year_is_not_a_working_day(policy, day):
    """Past the last year anyone typed in: Tết 2028 (26 Jan) and 2030 (3 Feb) from the lunar calendar."""
    assert not policy.calendar.is_working_day(date(*day))


def test_working_days_around_tet_2028_still_count(policy):
    assert policy.calendar.is_working_day(date(2028, 1, 21)) and policy.calendar.is_working_day(date(2028, 1, 31))


def test_deadline_across_a_weekend_and_a_holiday(policy):
    friday = at(2028, 4, 28, 16, 0)  # then the weekend, Labour Day (Mon 1 May) and 30 April observed (Tue 2 May)
    assert policy.due(friday, "road_damage", "normal", "acknowledge") == at(2028, 5, 3, 15, 0)


def test_announced_swaps_come_from_the_data(policy):
    """A bridge day off paid for by a working Saturday, as the Government announces them each year."""
    bridge, saturday = date(2030, 9, 4), date(2030, 9, 14)
    calendar = replace(policy.calendar, days_off=frozenset({bridge}), working_weekend_days=frozenset({saturday}))
    assert policy.calendar.is_working_day(bridge) and not calendar.is_working_day(bridge)
    assert not policy.calendar.is_working_day(saturday) and calendar.is_working_day(saturday)
    assert calendar.add_working_hours(at(2030, 8, 30, 16, 0), 2) == at(2030, 9, 5, 9, 0)  # past 2-3 Sept too
