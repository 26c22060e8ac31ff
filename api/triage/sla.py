"""Deadlines in Vietnam's working time (Decision 1207/QĐ-UBND: acknowledge within 8 working hours).

Working time is Mon–Fri 08:00–17:00 Asia/Ho_Chi_Minh minus public holidays; targets are per
category and priority, in working hours or calendar days, all read from ``sla.json``.

Public holidays come from the ``holidays`` package, which computes the lunar ones (Tết, the
Hùng Kings' day) and the statutory observed days for any year, so the calendar never runs
out. Only what the Government announces year by year on top (bridge days off, compensatory
working Saturdays) is data, in ``sla.json``'s ``calendar``.
"""

import functools
import json
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

Target = dict[str, float]  # {"working_hours": n} or {"calendar_days": n}


@dataclass(frozen=True)
class WorkingCalendar:
    tz: ZoneInfo
    working_days: frozenset[int]
    start: time
    end: time
    country: str = "VN"
    days_off: frozenset[date] = frozenset()  # announced on top of the package: bridge days
    working_weekend_days: frozenset[date] = frozenset()  # announced compensatory working Saturdays

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekend_days:
            return True
        if day in self.days_off:
            return False
        public_holidays, weekend_workdays = _public_calendar(self.country, day.year)
        return day in weekend_workdays or (day.weekday() in self.working_days and day not in public_holidays)

    def add_working_hours(self, moment: datetime, hours: float) -> datetime:
        """The instant ``hours`` of working time after ``moment`` (which may be outside hours)."""
        remaining = timedelta(hours=hours)
        local = moment.astimezone(self.tz)
        while True:
            day_start = datetime.combine(local.date(), self.start, self.tz)
            day_end = datetime.combine(local.date(), self.end, self.tz)
            if self.is_working_day(local.date()) and local < day_end:
                local = max(local, day_start)
                available = day_end - local
                if remaining <= available:
                    return local + remaining
                remaining -= available
            local = datetime.combine(local.date() + timedelta(days=1), self.start, self.tz)

    def working_hours_between(self, earlier: datetime, later: datetime) -> float:
        """Working hours elapsed from ``earlier`` to ``later`` (0 when later <= earlier)."""
        if later <= earlier:
            return 0.0
        total = timedelta()
        local, end = earlier.astimezone(self.tz), later.astimezone(self.tz)
        while local < end:
            day_start = datetime.combine(local.date(), self.start, self.tz)
            day_end = datetime.combine(local.date(), self.end, self.tz)
            if self.is_working_day(local.date()):
                window_start, window_end = max(local, day_start), min(end, day_end)
                if window_end > window_start:
                    total += window_end - window_start
            local = datetime.combine(local.date() + timedelta(days=1), time(0), self.tz)
        return total.total_seconds() / 3600


@functools.cache
def _public_calendar(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """One year's public holidays and the swapped working weekend days the package knows of."""
    calendar = holidays.country_holidays(country, years=year)
    return frozenset(calendar), frozenset(d for d in calendar.weekend_workdays if d.year == year)


def _dates(values: list[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(value) for value in values)


def _fold(text: str) -> str:
    """Lowercase without diacritics, so 'Cây ĐỔ' and 'cay do' match the same cue."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


@dataclass(frozen=True)
class SlaPolicy:
    calendar: WorkingCalendar
    default: dict[str, dict[str, Target]]
    categories: dict[str, dict[str, dict[str, Target]]]
    urgent_categories: frozenset[str]
    urgent_cues: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> "SlaPolicy":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        hours, announced = raw["working_hours"], raw["calendar"]
        calendar = WorkingCalendar(
            tz=ZoneInfo(raw["timezone"]),
            working_days=frozenset(raw["working_days"]),
            start=time.fromisoformat(hours["start"]),
            end=time.fromisoformat(hours["end"]),
            country=announced["country"],
            days_off=_dates(announced["days_off"]),
            working_weekend_days=_dates(announced["working_weekend_days"]),
        )
        return cls(
            calendar=calendar,
            default=raw["default"],
            categories=raw.get("categories", {}),
            urgent_categories=frozenset(raw.get("urgent_categories", [])),
            urgent_cues=tuple(_fold(cue) for cue in raw.get("urgent_cues", [])),
        )

    def priority(self, category: str | None, text: str) -> str:
        """``urgent`` when danger to life or property shows in the text of a category that can be urgent."""
        if category not in self.urgent_categories:
            return "normal"
        folded = _fold(text)
        return "urgent" if any(cue in folded for cue in self.urgent_cues) else "normal"

    def target(self, category: str | None, priority: str, stage: str) -> Target:
        specific = self.categories.get(category or "", {}).get(priority, {}).get(stage)
        return specific or self.default[priority][stage]

    def due(self, start: datetime, category: str | None, priority: str, stage: str) -> datetime:
        """When ``stage`` (acknowledge | resolve) is due for a report routed at ``start``."""
        target = self.target(category, priority, stage)
        if "calendar_days" in target:
            return start + timedelta(days=target["calendar_days"])
        return self.calendar.add_working_hours(start, target["working_hours"])
