"""Counters over any date range in a bounded number of documents: sealing and prefix sums.

Closed days never change (every change is dated when it commits), so the sealing job copies
each closed day into one document per dimension and, at each month's end, a cumulative
document (everything from the beginning of history to that month's end). A prefix (all
counters up to a day) is then one cumulative document plus or minus at most ~15 sealed days;
a range is the difference of two prefixes, and the backlog at its end is the prefix itself.
Days after the watermark (today, or everything when the job never ran) are read from the
live rollups, so answers are exact whatever the sealing state; only their cost differs.
"""

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.stats.metrics import DIMS, add_counters, city_day
from api.stats.repository import StatsRepository, merged

SEALED_DIMS = tuple(d for d in DIMS if d != "cell")  # cells are kept for rebuilds and ad-hoc analysis
Groups = dict[str, dict[str, Any]]


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


def previous_month(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


class Sealer:
    def __init__(self, repo: StatsRepository) -> None:
        self._repo = repo

    async def seal(self, through: date) -> int:
        """Seal every unsealed day up to ``through``; returns how many days were sealed."""
        mark = await self._repo.watermark()
        if mark is None:
            first = await self._repo.first_day()
            if first is None:
                return 0
            start = date.fromisoformat(first)
        else:
            first = mark["first"]
            start = date.fromisoformat(mark["through"]) + timedelta(days=1) if mark["through"] else date.fromisoformat(first)
        sealed = 0
        while start <= through:
            last = min(month_end(start), through)
            for dim in SEALED_DIMS:
                await self._repo.write_sealed("day", dim, await self._repo.days(dim, start.isoformat(), last.isoformat()))
                if last == month_end(start):
                    await self._seal_month(dim, start, first)
            await self._repo.set_watermark(first, last.isoformat())
            sealed += (last - start).days + 1
            start = last + timedelta(days=1)
        return sealed

    async def _seal_month(self, dim: str, day: date, first: str) -> None:
        before = month_key(previous_month(day))
        cumulative = (await self._repo.sealed("cum", dim, before, before)).get(before, {})
        days = await self._repo.sealed("day", dim, day.replace(day=1).isoformat(), month_end(day).isoformat())
        await self._repo.write_sealed("cum", dim, {month_key(day): merged({"before": cumulative, **days})})


async def seal_closed_days(repo: StatsRepository, grace_s: int, now: datetime | None = None) -> int:
    """The worker job: seal every day that ended at least ``grace_s`` ago."""
    moment = (now or datetime.now(UTC)) - timedelta(seconds=grace_s)
    return await Sealer(repo).seal(city_day(moment) - timedelta(days=1))


class PeriodReader:
    """Prefix and range sums of one request (memoised: a range's two prefixes share work)."""

    def __init__(self, repo: StatsRepository) -> None:
        self._repo = repo
        self._mark: dict[str, Any] | None = None
        self._loaded = False
        self._prefixes: dict[tuple[str, date], Groups] = {}

    async def _watermark(self) -> tuple[date | None, date | None]:
        if not self._loaded:
            self._mark, self._loaded = await self._repo.watermark(), True
        if self._mark is None:
            return None, None
        through = self._mark["through"]
        return date.fromisoformat(self._mark["first"]), date.fromisoformat(through) if through else None

    async def _days(self, dim: str, first: date, last: date, sealed_through: date | None) -> Groups:
        """Sum of days ``first..last``: sealed copies up to the watermark, live rollups after it."""
        total: Groups = {}
        if first > last:
            return total
        if sealed_through is not None and first <= sealed_through:
            sealed_last = min(last, sealed_through)
            total = merged(await self._repo.sealed("day", dim, first.isoformat(), sealed_last.isoformat()))
            first = sealed_last + timedelta(days=1)
        if first <= last:
            for group, counters in merged(await self._repo.days(dim, first.isoformat(), last.isoformat())).items():
                add_counters(total.setdefault(group, {}), counters)
        return total

    async def _cumulative(self, dim: str, month: date, first: date) -> Groups:
        if month_end(month) < first:
            return {}
        key = month_key(month)
        return (await self._repo.sealed("cum", dim, key, key)).get(key, {})

    async def prefix(self, dim: str, day: date) -> Groups:
        """Every group's counters summed from the beginning of history to the end of ``day``."""
        if (dim, day) not in self._prefixes:
            self._prefixes[(dim, day)] = await self._prefix(dim, day)
        return self._prefixes[(dim, day)]

    async def _prefix(self, dim: str, day: date) -> Groups:
        first, through = await self._watermark()
        if through is None:  # nothing sealed yet: the live rollups from the start
            return await self._days(dim, date.min, day, None)
        if day < first:
            return {}
        if day > through:
            return add_groups(await self.prefix(dim, through), await self._days(dim, through + timedelta(days=1), day, None))
        end = month_end(day)
        if day == end:
            return await self._cumulative(dim, day, first)
        if end <= through and (end - day).days < day.day:  # nearer the month's end: subtract the rest
            rest = await self._days(dim, day + timedelta(days=1), end, through)
            return add_groups(await self._cumulative(dim, day, first), rest, -1)
        start = await self._cumulative(dim, previous_month(day), first)
        return add_groups(start, await self._days(dim, day.replace(day=1), day, through))

    async def range(self, dim: str, first: date, last: date) -> Groups:
        """Counters of ``first..last`` per group; ``backlog`` is each group's backlog at the end of ``last``."""
        at_end = await self.prefix(dim, last)
        flows = add_groups(at_end, await self.prefix(dim, first - timedelta(days=1)), -1)
        for group, counters in at_end.items():
            flows.setdefault(group, {})["backlog"] = counters.get("backlog", 0)
        return {group: counters for group, counters in flows.items() if has_figures(counters)}

    async def series(self, dim: str, group: str, first: date, last: date) -> tuple[int, dict[str, dict[str, Any]]]:
        """One group's backlog before ``first`` and its counters per day (a trend's raw material)."""
        start = (await self.prefix(dim, first - timedelta(days=1))).get(group, {}).get("backlog", 0)
        return start, await self._repo.group_days(dim, group, first.isoformat(), last.isoformat())


def add_groups(left: Groups, right: Groups, sign: int = 1) -> Groups:
    """left + sign * right, group by group (a new dictionary; memoised prefixes stay intact)."""
    total: Groups = {}
    for source, factor in ((left, 1), (right, sign)):
        for group, counters in source.items():
            add_counters(total.setdefault(group, {}), counters, factor)
    return total


def has_figures(counters: dict[str, Any]) -> bool:
    return any(has_figures(v) if isinstance(v, dict) else v != 0 for v in counters.values())
