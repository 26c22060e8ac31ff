"""Counters over any date range in a bounded number of documents: sealing and prefix sums.

Closed days never change (every change is dated when it commits), so the sealing job sums
each closed month's days into aligned blocks and, at the month's end, a cumulative document
(everything from the beginning of history to that month's end); see ``spans.py``. A prefix
(all counters up to a day) is then one cumulative document plus at most four blocks, and a
range is the difference of two prefixes, the backlog at its end being the prefix itself. A
trend reads one group's sealed weeks or months. Days after the watermark (today, or
everything when the job never ran) are read from the live rollups, so answers are exact
whatever the sealing state; only their cost differs.
"""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.stats.metrics import DIMS, city_day
from api.stats.repository import StatsRepository
from api.stats.spans import (
    block_end,
    block_key,
    blocks_to,
    is_whole,
    month_blocks,
    month_end,
    month_key,
    previous_month,
)
from api.stats.vectors import BACKLOG, Groups, Vector, add_groups, add_into, merged, zeros

SEALED_DIMS = tuple(d for d in DIMS if d != "cell")  # cells are kept for rebuilds and ad-hoc analysis
TREND_DIMS = ("total", "agency")  # a trend is the city's or one agency's


class Sealer:
    def __init__(self, repo: StatsRepository) -> None:
        self._repo = repo

    async def seal(self, through: date) -> int:
        """Seal every unsealed day up to ``through``; returns how many days were sealed."""
        mark = await self._repo.watermark()
        if mark is None:
            await self._repo.unseal_after(None)  # leftovers of another layout
            first = await self._repo.first_day()
            if first is None:
                return 0
            start = date.fromisoformat(first)
        else:
            first = mark["first"]
            start = (
                date.fromisoformat(mark["through"]) + timedelta(days=1)
                if mark["through"]
                else date.fromisoformat(first)
            )
        sealed = 0
        while start <= through:
            last = min(month_end(start), through)
            for dim in SEALED_DIMS:
                await self._seal_days(dim, start, last)
            await self._repo.set_watermark(first, last.isoformat())
            sealed += (last - start).days + 1
            start = last + timedelta(days=1)
        return sealed

    async def _seal_days(self, dim: str, start: date, last: date) -> None:
        """Seal ``start..last`` (inside one month): the blocks ending there, the head, the month, the weeks."""
        days = await self._repo.days(dim, last.replace(day=1).isoformat(), last.isoformat())
        blocks = {
            block_key(b): _sum_days(days, b[0], block_end(b))
            for b in month_blocks(last)
            if start <= block_end(b) <= last
        }
        await self._repo.write_sealed("block", dim, blocks)
        month = merged(days.values())
        head = merged([*await self._repo.sealed(dim, [("cum", month_key(previous_month(last)))]), month])
        await self._repo.write_head(dim, last.isoformat(), head)
        if last == month_end(last):
            await self._repo.write_sealed("cum", dim, {month_key(last): head})
            if dim in TREND_DIMS:
                await self._repo.write_group_periods("month", dim, {last.replace(day=1).isoformat(): month})
        if dim in TREND_DIMS:
            await self._repo.write_group_periods(
                "day", dim, {day: groups for day, groups in days.items() if start.isoformat() <= day}
            )
            for sunday in (start + timedelta(days=n) for n in range((last - start).days + 1)):
                if sunday.weekday() == 6:
                    monday = sunday - timedelta(days=6)
                    if monday.month == last.month:  # the month's days are already read
                        week = _sum_days(days, monday, sunday)
                    else:
                        week = merged((await self._repo.days(dim, monday.isoformat(), sunday.isoformat())).values())
                    await self._repo.write_group_periods("week", dim, {monday.isoformat(): week})


def _sum_days(days: dict[str, Groups], first: date, last: date) -> Groups:
    return merged(groups for day, groups in days.items() if first.isoformat() <= day <= last.isoformat())


async def seal_closed_days(
    repo: StatsRepository, grace_s: int, now: datetime | None = None, pending_since: datetime | None = None
) -> int:
    """The worker job: seal every day that ended at least ``grace_s`` ago and before the day of
    the oldest change the applier has not applied yet (``pending_since``)."""
    moment = (now or datetime.now(UTC)) - timedelta(seconds=grace_s)
    if pending_since is not None:
        moment = min(moment, pending_since)
    return await Sealer(repo).seal(city_day(moment) - timedelta(days=1))


async def checkpoint_live_days(repo: StatsRepository, grace_s: int, now: datetime | None = None) -> bool:
    """The worker job's second half: every group up to now, per dimension, so that a range ending today
    reads one document plus the few live ones changed since, not every live document of today.

    The checkpoint is stamped ``grace_s`` before it starts reading: a transaction that had already
    stamped its rollups earlier but commits after the read must still count as changed.
    """
    moment = now or datetime.now(UTC)
    mark = await repo.watermark()
    if mark is None or not mark["through"]:
        return False
    through, today = date.fromisoformat(mark["through"]), city_day(moment)
    if today <= through:
        return False
    at, reader = moment - timedelta(seconds=grace_s), PeriodReader(repo)
    for dim in SEALED_DIMS:
        documents = await repo.live_documents(dim, _days(through + timedelta(days=1), today))
        live: Groups = {}
        for group, vector in documents.values():
            add_into(live, group, vector)
        await repo.write_checkpoint(
            dim,
            through.isoformat(),
            at,
            add_groups(await reader.prefix(dim, through), live),
            {doc_id: vector for doc_id, (_, vector) in documents.items()},
        )
    await repo.point_to_checkpoint(through.isoformat(), {"day": today.isoformat(), "at": at})
    return True


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


class PeriodReader:
    """Prefix and range sums of one request (memoised: a range's two prefixes share work)."""

    def __init__(self, repo: StatsRepository) -> None:
        self._repo = repo
        self._mark: dict[str, Any] | None = None  # the watermark document
        self._loaded = False
        self._prefixes: dict[tuple[str, date], Groups] = {}

    async def _watermark(self) -> tuple[date | None, date | None]:
        if not self._loaded:
            self._mark, self._loaded = await self._repo.watermark(), True
        if self._mark is None:
            return None, None
        through = self._mark["through"]
        return date.fromisoformat(self._mark["first"]), date.fromisoformat(through) if through else None

    async def _live(self, dim: str, first: date, last: date) -> Groups:
        """Days ``first..last`` summed from the live rollups (days the sealing job has not reached)."""
        if first > last:
            return {}
        return merged((await self._repo.days(dim, first.isoformat(), last.isoformat())).values())

    async def prefix(self, dim: str, day: date) -> Groups:
        """Every group's counters summed from the beginning of history to the end of ``day``."""
        if (dim, day) not in self._prefixes:
            self._prefixes[(dim, day)] = await self._prefix(dim, day)
        return self._prefixes[(dim, day)]

    async def _prefix(self, dim: str, day: date) -> Groups:
        first, through = await self._watermark()
        if first is None or through is None:  # nothing sealed yet: the live rollups from the start
            return await self._live(dim, date.min, day)
        if day < first:
            return {}
        checkpoint = self._mark.get("checkpoint") if self._mark else None
        if checkpoint and through.isoformat() < checkpoint["day"] <= day.isoformat():
            upto = date.fromisoformat(checkpoint["day"])
            return add_groups(
                *await asyncio.gather(
                    self._checkpointed(dim, through, upto, checkpoint["at"]),
                    self._live(dim, upto + timedelta(days=1), day),
                )
            )
        if day > through:  # the sealed part and the live days, fetched concurrently
            return add_groups(
                *await asyncio.gather(self.prefix(dim, through), self._live(dim, through + timedelta(days=1), day))
            )
        if day == through:
            head = await self._repo.head(dim)
            if head is not None and head[0] == through.isoformat():
                return head[1]
        if day == month_end(day):
            return merged(await self._repo.sealed(dim, [("cum", month_key(day))]))
        keys = [("cum", month_key(previous_month(day)))] + [("block", block_key(b)) for b in blocks_to(day)]
        return merged(await self._repo.sealed(dim, keys))

    async def _checkpointed(self, dim: str, through: date, upto: date, at: datetime) -> Groups:
        """Every group up to ``upto``: the checkpoint, corrected by the live documents changed since it."""
        saved, changed = await asyncio.gather(
            self._repo.checkpoint(dim), self._repo.live_documents(dim, _days(through + timedelta(days=1), upto), at)
        )
        if saved is None or saved["at"] != at or saved["through"] != through.isoformat():  # being rewritten
            return add_groups(await self.prefix(dim, through), await self._live(dim, through + timedelta(days=1), upto))
        corrections: Groups = {}
        for doc_id, (group, vector) in changed.items():
            before = saved["documents"].get(doc_id)
            add_into(corrections, group, vector if before is None else vector - before)
        return add_groups(saved["g"], corrections)

    async def range(self, dim: str, first: date, last: date) -> Groups:
        """Counters of ``first..last`` per group; ``backlog`` is each group's backlog at the end of ``last``."""
        await self._watermark()  # once, before the two prefixes go concurrently
        at_end, before = await asyncio.gather(self.prefix(dim, last), self.prefix(dim, first - timedelta(days=1)))
        flows = add_groups(at_end, before, -1) if before else at_end
        rows = {}
        for group, counters in flows.items():
            row = counters.copy()
            row[BACKLOG] = at_end[group][BACKLOG] if group in at_end else 0
            if row.any():
                rows[group] = row
        return rows

    async def _group_days(self, dim: str, group: str, first: date, last: date) -> dict[str, Vector]:
        """One group's counters by day: sealed days (one document each) and live days after the watermark."""
        _, through = await self._watermark()
        split = first if through is None else max(first, through + timedelta(days=1))
        sealed, live = await asyncio.gather(
            self._repo.group_periods(
                "day", dim, group, first.isoformat(), min(last, split - timedelta(days=1)).isoformat()
            )
            if split > first
            else _nothing(),
            self._repo.group_days(dim, group, split.isoformat(), last.isoformat()) if split <= last else _nothing(),
        )
        return {**sealed, **live}

    async def series(
        self, dim: str, group: str, points: list[tuple[date, date]], interval: str
    ) -> tuple[int, list[Vector]]:
        """One group's backlog before the first point and its counters per point (a trend's raw material).

        Whole sealed weeks or months are one document each; the other points (days, the range's
        partial edges, the current week) are summed from the group's sealed days and live rollups.
        """
        before = (await self.prefix(dim, points[0][0] - timedelta(days=1))).get(group)
        backlog = 0 if before is None else int(before[BACKLOG])
        _, through = await self._watermark()
        sealed: dict[str, Vector] = {}
        if interval != "day" and through is not None:
            sealed = await self._repo.group_periods(
                interval, dim, group, points[0][0].isoformat(), points[-1][0].isoformat()
            )
        counters: list[Vector | None] = [
            sealed.get(start.isoformat(), zeros())
            if is_whole(start, end, interval) and through and end <= through
            else None
            for start, end in points
        ]
        for run in _runs([i for i, c in enumerate(counters) if c is None]):
            first, last = points[run[0]][0], points[run[-1]][1]
            days = await self._group_days(dim, group, first, last)
            for i in run:
                start, end = points[i][0].isoformat(), points[i][1].isoformat()
                counters[i] = sum((days[d] for d in days if start <= d <= end), zeros())
        return backlog, [zeros() if c is None else c for c in counters]


async def _nothing() -> dict[str, Vector]:
    return {}


def _runs(indexes: list[int]) -> list[list[int]]:
    """Consecutive indexes grouped: each run is read in one query."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
