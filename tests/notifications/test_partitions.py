"""Outbox partitions: live dispatchers split them evenly, a dead one's are taken over, a leaving one's at once."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from notifications.partitions import PARTITIONS, PartitionRepository, PartitionShare, partition_of

LEASE = timedelta(seconds=20)


def with_shares(settings, scenario: Callable[[PartitionShare, PartitionShare], Awaitable[None]]) -> None:
    async def go() -> None:
        client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
        try:
            db = client[settings.database_name]
            await PartitionRepository.ensure_indexes(db)
            await PartitionRepository.ensure_indexes(db)  # a second process starting: no error, no extra documents
            repo = PartitionRepository(db)
            assert len(await repo.everything()) == PARTITIONS
            await scenario(PartitionShare(repo, "first", LEASE), PartitionShare(repo, "second", LEASE))
        finally:
            await client.close()

    asyncio.run(go())


def test_two_dispatchers_split_the_partitions_and_the_survivor_takes_a_dead_one_s_after_its_lease(settings) -> None:
    async def scenario(first: PartitionShare, second: PartitionShare) -> None:
        t0 = datetime.now(UTC).replace(microsecond=0)
        assert await first.current(t0) == list(range(PARTITIONS))  # alone: everything
        assert await second.current(t0) == []  # all held: it announces itself and waits
        assert await first.current(t0) == list(range(PARTITIONS))  # no tick yet: nothing asked of the database
        t1 = t0 + first.tick
        held_first = await first.current(t1)  # sees a second member: keeps its fair half
        held_second = await second.current(t1)
        assert len(held_first) == len(held_second) == PARTITIONS // 2
        assert sorted(held_first + held_second) == list(range(PARTITIONS))
        # the first stops renewing (killed): before its lease ends nothing moves, after it the second takes all
        assert await second.current(t1 + second.tick) == held_second
        assert await second.current(t1 + LEASE + timedelta(seconds=1)) == list(range(PARTITIONS))

    with_shares(settings, scenario)


def test_a_dispatcher_that_leaves_hands_its_partitions_over_without_waiting_for_its_lease(settings) -> None:
    async def scenario(first: PartitionShare, second: PartitionShare) -> None:
        t0 = datetime.now(UTC).replace(microsecond=0)
        await first.current(t0)
        await second.current(t0)
        await first.leave()
        assert first.held == []
        assert await second.current(t0 + second.tick) == list(range(PARTITIONS))

    with_shares(settings, scenario)


def test_one_key_always_maps_to_one_partition_and_keys_spread() -> None:
    keys = [f"report:{n:024x}" for n in range(1600)]
    assert [partition_of(k) for k in keys] == [partition_of(k) for k in keys]
    counts = [sum(1 for k in keys if partition_of(k) == p) for p in range(PARTITIONS)]
    assert min(counts) > 50 and max(counts) < 150  # about 100 each
