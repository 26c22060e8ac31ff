"""Report codes: reserved in blocks, numbered per year in Hanoi time."""

import asyncio
from datetime import UTC, datetime

from api.reports.codes import CodeAllocator


class CounterTable:
    """An in-memory stand-in for the counters collection (pure logic under test, not the DB)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.calls = 0

    async def reserve(self, name: str, count: int) -> int:
        self.calls += 1
        self.values[name] = self.values.get(name, 0) + count
        return self.values[name]


def test_codes_are_consecutive_within_a_block_and_reserve_rarely():
    table = CounterTable()
    allocator = CodeAllocator(table.reserve, block_size=5)
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    codes = asyncio.run(_many(allocator, moment, 12))
    assert codes[:3] == ["HN-2026-000001", "HN-2026-000002", "HN-2026-000003"]
    assert len(set(codes)) == 12 and codes == sorted(codes)
    assert table.calls == 3


def test_two_processes_never_share_a_code():
    table = CounterTable()
    first, second = CodeAllocator(table.reserve, 4), CodeAllocator(table.reserve, 4)
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    codes = asyncio.run(_many(first, moment, 6)) + asyncio.run(_many(second, moment, 6))
    assert len(set(codes)) == 12


def test_new_year_starts_at_midnight_hanoi_time():
    table = CounterTable()
    allocator = CodeAllocator(table.reserve)
    late_utc_new_years_eve = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 Jan 2027 in Hanoi
    assert asyncio.run(allocator.next_code(late_utc_new_years_eve)) == "HN-2027-000001"


async def _many(allocator, moment, n):
    return [await allocator.next_code(moment) for _ in range(n)]
