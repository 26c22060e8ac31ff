"""Deadlines across nights, weekends and Tết, and urgency from category and text cues."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.settings import ROUTING_DATA
from api.triage.sla import SlaPolicy

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


@pytest.mark.parametrize("category, text, expected", [
    ("power_grid", "Dây điện ĐỨT rơi xuống đường, rất nguy hiểm", "urgent"),
    ("power_grid", "day dien dut nam giua ngo 12", "urgent"),
    ("trees_parks", "Cây đổ chắn ngang đường Láng", "urgent"),
    ("trees_parks", "Cây cần cắt tỉa cành", "normal"),
    ("noise", "cháy cả đêm karaoke", "normal"),  # noise cannot be urgent, whatever the words
    ("flooding_drainage", "Deep flood on Nguyen Trai, water up to the knees", "urgent"),
    ("fire_hazard", "Kho hàng bốc cháy ở ngõ 5", "urgent"),
    ("road_damage", "xe chạy qua ổ gà bị xóc", "normal"),  # 'chạy' folds like 'cháy'; must not be urgent
    ("flooding_drainage", "trời sắp mưa to mà cống vẫn tắc", "normal"),  # 'sắp' folds like 'sập'
])
def test_priority_from_category_and_cues(policy, category, text, expected):
    assert policy.priority(category, text) == expected
