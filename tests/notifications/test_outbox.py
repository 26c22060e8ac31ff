"""Claiming outbox events: the leased events are the ones read, without reading them twice."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient, MongoClient, monitoring

from notifications.outbox import OutboxRepository

LEASE = timedelta(seconds=60)


def pending(now: datetime, count: int) -> list[dict[str, Any]]:
    return [
        {
            "_id": ObjectId(),
            "state": "pending",
            "claimable_at": now - timedelta(seconds=1),
            "created_at": now,
            "attempts": 0,
            "order_key": f"report:{ObjectId()}",
            "seq": 1,
            "kind": "report",
            "event": "routed",
        }
        for _ in range(count)
    ]


class OnUpdate(monitoring.CommandListener):
    """Records the commands sent; before the first outbox update, lets ``rival`` run once."""

    def __init__(self, rival=None) -> None:
        self.commands: list[str] = []
        self._rival = rival

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)
        if event.command_name == "update" and self._rival is not None:
            rival, self._rival = self._rival, None
            rival()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def claim(settings, listener: OnUpdate, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """One claim of up to 10 events by "me"; what it returned and the commands it sent."""

    async def go() -> tuple[list[dict[str, Any]], list[str]]:
        client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri, tz_aware=True, event_listeners=[listener])
        try:
            db = client[settings.database_name]
            await OutboxRepository.ensure_indexes(db)
            listener.commands.clear()
            claimed = await OutboxRepository(db).claim("me", now, LEASE, 10)
            return list(claimed), list(listener.commands)
        finally:
            await client.close()

    return asyncio.run(go())


def test_an_uncontested_claim_returns_the_leased_events_without_a_second_read(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = pending(now, 4)
    sync_db.outbox.insert_many(events)
    listener = OnUpdate()
    claimed, commands = claim(settings, listener, now)
    assert commands == ["find", "find", "update"]  # candidates, order heads, the lease
    stored = {doc["_id"]: doc for doc in sync_db.outbox.find()}
    assert sorted(c["_id"] for c in claimed) == sorted(e["_id"] for e in events)
    for event in claimed:  # what the dispatcher works from is what the database now holds
        assert event == stored[event["_id"]]
        assert (event["state"], event["lease_owner"], event["attempts"]) == ("leased", "me", 1)


def test_a_claim_that_loses_some_events_returns_only_those_it_won(settings, sync_db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = pending(now, 4)
    sync_db.outbox.insert_many(events)
    taken = events[2]["_id"]

    def rival() -> None:  # another dispatcher leases one event between our read and our update
        with MongoClient(settings.mongodb_uri) as other:
            other[settings.database_name].outbox.update_one(
                {"_id": taken}, {"$set": {"state": "leased", "lease_owner": "rival", "claimable_at": now + LEASE}}
            )

    listener = OnUpdate(rival)
    claimed, commands = claim(settings, listener, now)
    assert sorted(c["_id"] for c in claimed) == sorted(e["_id"] for e in events if e["_id"] != taken)
    assert commands == ["find", "find", "update", "find"]  # the winners are read again
    assert sync_db.outbox.find_one({"_id": taken})["lease_owner"] == "rival"
