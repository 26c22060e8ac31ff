"""Claiming outbox events: a dispatcher reads its partitions' due events, keeps each key's order, writes nothing."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from notifications.outbox import OutboxRepository
from notifications.partitions import PARTITIONS, partition_of

T = TypeVar("T")


def pending(now: datetime, count: int, key: str | None = None, first_seq: int = 1) -> list[dict[str, Any]]:
    """Due events; ``key`` shared by all of them (one report's changes, ``seq`` in order) or one each."""
    events = []
    for n in range(count):
        order_key = key or f"report:{ObjectId()}"
        events.append(
            {
                "_id": ObjectId(),
                "state": "pending",
                "claimable_at": now - timedelta(seconds=count - n),
                "created_at": now,
                "attempts": 0,
                "order_key": order_key,
                "partition": partition_of(order_key),
                "seq": first_seq + n if key else 1,
                "kind": "report",
                "event": "routed",
            }
        )
    return events


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def on_database(settings, work: Callable[[AsyncDatabase], Awaitable[T]], listener: Commands | None = None) -> T:
    async def go() -> T:
        client: AsyncMongoClient = AsyncMongoClient(
            settings.mongodb_uri, tz_aware=True, event_listeners=[listener] if listener else []
        )
        try:
            db = client[settings.database_name]
            await OutboxRepository.ensure_indexes(db)
            if listener is not None:
                listener.names.clear()
            return await work(db)
        finally:
            await client.close()

    return asyncio.run(go())


def test_a_claim_reads_only_the_given_partitions_and_writes_nothing(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = pending(now, 40)
    sync_db.outbox.insert_many(events)
    mine = sorted({e["partition"] for e in events})[:3]
    listener = Commands()
    claimed = on_database(settings, lambda db: OutboxRepository(db).claim(mine, now, 100), listener)
    assert sorted(c["_id"] for c in claimed) == sorted(e["_id"] for e in events if e["partition"] in mine)
    # one query for all of them, nothing leased: the partitions are ours alone
    assert [name for name in listener.names if name != "endSessions"] == ["find"]
    assert [c["claimable_at"] for c in claimed] == sorted(c["claimable_at"] for c in claimed)  # oldest due first
    assert sync_db.outbox.count_documents({"state": "pending"}) == 40


def test_a_claim_of_every_partition_is_one_query_that_skips_delivered_events(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    waiting, delivered = pending(now, 20), pending(now, 30)
    for event in delivered:
        event["state"] = "sent"
        del event["claimable_at"]
    sync_db.outbox.insert_many(waiting + delivered)
    listener = Commands()
    claimed = on_database(settings, lambda db: OutboxRepository(db).claim(list(range(PARTITIONS)), now, 100), listener)
    assert sorted(c["_id"] for c in claimed) == sorted(e["_id"] for e in waiting)
    assert [name for name in listener.names if name != "endSessions"] == ["find"]
    assert on_database(settings, lambda db: OutboxRepository(db).claim([], now, 100)) == []


def test_a_claim_takes_only_the_head_of_each_key_and_the_limit(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    report = pending(now, 3, key=f"report:{ObjectId()}")
    later = [{**event, "claimable_at": now} for event in pending(now, 5)]
    sync_db.outbox.insert_many(report + later)
    everything = list(range(PARTITIONS))
    claimed = on_database(settings, lambda db: OutboxRepository(db).claim(everything, now, 100))
    assert report[0]["_id"] in {c["_id"] for c in claimed}
    assert not {report[1]["_id"], report[2]["_id"]} & {c["_id"] for c in claimed}  # they wait for the first
    limited = on_database(settings, lambda db: OutboxRepository(db).claim(everything, now, 2))
    assert limited[0]["_id"] == report[0]["_id"]  # the oldest due head first, then one of the others:
    assert len(limited) == 2 and limited[1]["_id"] in {e["_id"] for e in later}  # not its key's second


def test_events_are_given_their_key_s_partition_and_old_ones_get_one_at_start_up(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    before = pending(now, 3)
    for event in before:  # written by a release before partitions
        del event["partition"]
    sync_db.outbox.insert_many(before)

    async def enqueue(db: AsyncDatabase) -> ObjectId:
        return await OutboxRepository(db).enqueue(
            {"kind": "digest", "resident_uid": "r1", "reports": [], "order_key": "digest:r1"}, now, None
        )

    new_id = on_database(settings, enqueue)
    assert sync_db.outbox.find_one({"_id": new_id})["partition"] == partition_of("digest:r1")
    for event in before:
        assert sync_db.outbox.find_one({"_id": event["_id"]})["partition"] == partition_of(event["order_key"])
