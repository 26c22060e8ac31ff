"""A busy spot is read by recency (``HotCells``): the same newest candidates, a bounded read, and
for a moment not read again."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from api.duplicates.finder import (
    HOT_MEMORY,
    MAX_CANDIDATES,
    REUSE_READ,
    DuplicateFinder,
    DuplicateRules,
    HotCells,
    cells_within,
)
from api.reports.repository import ReportRepository
from tests.factories import HOAN_KIEM_LAKE, mapped_report

LAT, LNG = HOAN_KIEM_LAKE
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def filed(count: int, every: timedelta, newest_at: datetime = NOW) -> list[dict[str, Any]]:
    return [{"created_at": newest_at - i * every} for i in range(count)]


def test_a_spot_is_hot_after_a_full_read_and_only_for_a_while() -> None:
    hot = HotCells()
    assert hot.window("road_damage", [1, 2], NOW) is None
    hot.record("road_damage", [1, 2], NOW, filed(MAX_CANDIDATES - 1, timedelta(seconds=1)))
    assert hot.window("road_damage", [1, 2], NOW) is None  # not full: the plain read was bounded already
    hot.record("road_damage", [1, 2], NOW, filed(MAX_CANDIDATES, timedelta(seconds=1)))
    # the oldest of the newest MAX_CANDIDATES was MAX_CANDIDATES - 1 s old: twice that, asked of any
    # lookup touching one of those cells
    assert hot.window("road_damage", [2, 3], NOW) == timedelta(seconds=2 * (MAX_CANDIDATES - 1))
    assert hot.window("flooding_drainage", [1, 2], NOW) is None
    assert hot.window("road_damage", [1, 2], NOW + HOT_MEMORY + timedelta(seconds=1)) is None
    hot.record("road_damage", [1, 2], NOW, filed(3, timedelta(minutes=5)))
    assert hot.window("road_damage", [1, 2], NOW) is None  # quiet again


def test_the_memory_is_bounded() -> None:
    hot = HotCells(size=4)
    for cell in range(10):
        hot.record("noise", [cell], NOW, filed(MAX_CANDIDATES, timedelta(seconds=1)))
    assert [cell for cell in range(10) if hot.window("noise", [cell], NOW)] == [6, 7, 8, 9]


class Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(event.command["filter"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def newest_twice(settings, hot: HotCells, now: datetime) -> tuple[list[list[str]], list[list[dict[str, Any]]]]:
    """Two lookups at the lake with one finder; the codes each found and the find filters each sent."""

    async def go() -> tuple[list[list[str]], list[list[dict[str, Any]]]]:
        finds = Finds()
        client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri, tz_aware=True, event_listeners=[finds])
        try:
            repo = ReportRepository(client[settings.database_name])
            finder = DuplicateFinder(repo, DuplicateRules(50, 30, 0.3), hot)
            codes, filters = [], []
            for _ in range(2):
                finds.filters.clear()
                found = await finder.newest("road_damage", cells_within(LAT, LNG, 50), now)
                codes.append([r["code"] for r in found])
                filters.append(list(finds.filters))
            return codes, filters
        finally:
            await client.close()

    return asyncio.run(go())


def test_a_hot_spot_is_read_by_recency_with_the_same_answer(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # a storm: 120 reports at the spot in the last hour, plus old ones and another category
    storm = [
        mapped_report(LAT + (i % 5) * 1e-5, LNG, now - timedelta(seconds=30 * i), f"HN-S-{i:04d}") for i in range(120)
    ]
    old = [mapped_report(LAT, LNG, now - timedelta(days=3, minutes=i), f"HN-O-{i:04d}") for i in range(20)]
    other = [mapped_report(LAT, LNG, now, f"HN-X-{i:04d}", category="noise") for i in range(5)]
    sync_db.reports.insert_many([*storm, *old, *other])
    expected = [f"HN-S-{i:04d}" for i in range(MAX_CANDIDATES)]

    codes, filters = newest_twice(settings, HotCells(reuse_for=timedelta(0)), now)
    assert codes == [expected, expected]
    cold, warm = filters
    assert len(cold) == 1 and "created_at" not in cold[0]  # the first lookup reads the cells in full
    cells = cells_within(LAT, LNG, 50)
    assert sorted(f["geo_cell"] for f in warm) == sorted(cells)  # then one bounded query per cell
    # twice the age of the oldest of the newest MAX_CANDIDATES: (MAX_CANDIDATES - 1) x 30 s
    assert {f["created_at"]["$gte"] for f in warm} == {now - timedelta(seconds=2 * (MAX_CANDIDATES - 1) * 30)}


def test_a_window_too_short_falls_back_to_the_full_read(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sync_db.reports.insert_many(
        [mapped_report(LAT, LNG, now - timedelta(minutes=i), f"HN-Q-{i:04d}") for i in range(60)]
    )
    hot = HotCells(reuse_for=timedelta(0))
    # remembered as busier than it is now: a 10 s window holds one report
    hot.record("road_damage", cells_within(LAT, LNG, 50), now, filed(MAX_CANDIDATES, timedelta(milliseconds=100), now))
    codes, filters = newest_twice(settings, hot, now)
    assert codes[0] == [f"HN-Q-{i:04d}" for i in range(MAX_CANDIDATES)]
    assert "created_at" in filters[0][0] and "created_at" not in filters[0][-1]  # tried the window, then in full


def candidate(code: str, cell: int, at: datetime, category: str = "road_damage") -> dict[str, Any]:
    return {"_id": code, "code": code, "category": category, "geo_cell": cell, "created_at": at, "status": "received"}


def test_a_busy_spots_newest_are_kept_for_a_moment() -> None:
    hot = HotCells()
    newest = [candidate(f"HN-{i}", 1, NOW - timedelta(seconds=i)) for i in range(MAX_CANDIDATES)]
    hot.record("road_damage", [1, 2], NOW, newest)
    assert hot.last_read("road_damage", [1, 2], NOW + REUSE_READ / 2) == newest
    assert hot.last_read("road_damage", [1, 2], NOW + REUSE_READ) is None  # then read afresh
    assert hot.last_read("road_damage", [1], NOW) is None and hot.last_read("noise", [1, 2], NOW) is None
    hot.record("road_damage", [3], NOW, newest[:3])
    assert hot.last_read("road_damage", [3], NOW) is None  # a quiet spot is always read


def test_a_report_filed_here_joins_the_kept_read_as_the_newest() -> None:
    hot = HotCells()
    newest = [candidate(f"HN-{i}", 1, NOW - timedelta(seconds=i)) for i in range(MAX_CANDIDATES)]
    hot.record("road_damage", [1, 2], NOW, newest)
    hot.filed({**candidate("HN-NEW", 2, NOW), "resident_uid": "resident-1", "description": "Ổ gà"})
    hot.filed(candidate("HN-ELSEWHERE", 3, NOW))
    hot.filed(candidate("HN-NOISE", 1, NOW, category="noise"))
    kept = hot.last_read("road_damage", [1, 2], NOW)
    assert kept is not None and len(kept) == MAX_CANDIDATES
    assert [r["code"] for r in kept] == ["HN-NEW", *[f"HN-{i}" for i in range(MAX_CANDIDATES - 1)]]
    assert "resident_uid" not in kept[0]  # only what the finder reads of a candidate


def test_a_second_lookup_at_a_busy_spot_within_the_moment_sends_no_query(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sync_db.reports.insert_many(
        [mapped_report(LAT, LNG, now - timedelta(seconds=10 * i), f"HN-R-{i:04d}") for i in range(40)]
    )
    codes, filters = newest_twice(settings, HotCells(), now)
    assert codes[0] == codes[1] == [f"HN-R-{i:04d}" for i in range(MAX_CANDIDATES)]
    assert len(filters[0]) == 1 and filters[1] == []
