"""The outbox collection: every push-worthy event, written in the transaction of its cause.

An event is ``pending`` (claimable once ``claimable_at`` passes) until it is ``sent`` or
``dead``. ``claimable_at`` exists only while an event is undelivered, so one small index
(``partition``, ``claimable_at``) serves the dispatchers' polling. Which dispatcher sends an
event is decided by its ``partition`` (``notifications.partitions``), not by a lease written
onto the event: a dispatcher that dies leaves its partitions' events claimable, and whoever
takes the partitions over sends them again (at least once).

Order: events sharing an ``order_key`` (one report's status changes, one device's topic
changes) are delivered one at a time in ``seq`` order. A dispatcher only claims the
undelivered event with the lowest ``seq`` of its key; the next one waits until that one
is sent or dead. One key's events share a partition, so only one dispatcher ever decides.
"""

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import bson
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.db import EPOCH, WRITE_CHUNK, TransactionWrites, chunked
from core.logs import current_request_id
from notifications.documents import EventFields, EventState, OutboxEvent
from notifications.partitions import PARTITIONS, PartitionRepository, partition_of

OUTBOX = "outbox"


class OutboxRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._outbox = db[OUTBOX]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        outbox = db[OUTBOX]
        await outbox.create_index(
            [("partition", ASCENDING), ("claimable_at", ASCENDING)], name="claimable_by_partition"
        )
        for replaced in ("claimable", "order"):  # per-event leases' poll, and the order heads' read: both gone
            if replaced in await outbox.index_information():
                await outbox.drop_index(replaced)
        # undelivered events written before partitions existed: give them theirs, or nobody sends them
        async for event in outbox.find({"claimable_at": {"$gte": EPOCH}, "partition": None}, {"order_key": 1}):
            await outbox.update_one({"_id": event["_id"]}, {"$set": {"partition": _partition(event)}})
        await PartitionRepository.ensure_indexes(db)
        await outbox.create_index([("state", ASCENDING), ("_id", DESCENDING)], name="admin")
        await outbox.create_index([("expires_at", ASCENDING)], name="retention", expireAfterSeconds=0)

    async def enqueue(self, event: EventFields, now: datetime, session: AsyncClientSession | None) -> ObjectId:
        """Add an event; call it with the session of the change that causes it."""
        doc = _event_document(event, now)
        await self._outbox.insert_one(doc, session=session)
        return doc["_id"]

    def enqueue_with(self, writes: TransactionWrites, event: EventFields, now: datetime) -> None:
        """Add an event to the writes of the report change that causes it."""
        writes.insert(self._outbox, _event_document(event, now))

    async def claim(self, partitions: list[int], now: datetime, limit: int) -> list[OutboxEvent]:
        """Up to ``limit`` due events of these partitions, oldest due first, each the head of its key.

        Nothing is written: the partitions are this dispatcher's alone while it holds them. One
        query per partition reads its undelivered events (due or waiting for a retry), an
        equality and a range that SecantusDB bounds by the index. A key's events all share its
        partition, so the heads (lowest undelivered ``seq`` of each key) are found among them.
        """
        per_partition = await asyncio.gather(
            *(self._outbox.find({"partition": p, "claimable_at": {"$gte": EPOCH}}).to_list() for p in partitions)
        )
        undelivered = [event for found in per_partition for event in found]
        heads: dict[str, int] = {}
        for event in undelivered:
            if key := event.get("order_key"):
                heads[key] = min(event["seq"], heads.get(key, event["seq"]))
        due = [
            event
            for event in undelivered
            if event["claimable_at"] <= now
            and (not event.get("order_key") or heads[event["order_key"]] == event["seq"])
        ]
        return sorted(due, key=lambda event: event["claimable_at"])[:limit]

    async def settle(self, outcomes: list[tuple[ObjectId, dict[str, Any]]]) -> None:
        """Record what became of events; one already settled (by a dispatcher that took over) stays so.

        Events given the same update (sent with as many pushes: most of a round) share one
        statement per 50: SecantusDB pays its per-statement setup once rather than per event
        (and its ``$in`` grows with the square of its length, ``core.db.chunked``).
        """
        if not outcomes:
            return
        # "$exists", not "$gte" EPOCH: with a range SecantusDB plans on the index (3.4 instead of 2.1 ms an event)
        undelivered = {"$exists": True}
        alike: dict[bytes, tuple[dict[str, Any], list[ObjectId]]] = {}
        for event_id, update in outcomes:
            alike.setdefault(bson.encode(update), (update, []))[1].append(event_id)
        await self._outbox.bulk_write(
            [
                UpdateOne({"_id": ids[0], "claimable_at": undelivered}, update)
                if len(ids) == 1
                else UpdateMany({"_id": {"$in": list(chunk)}, "claimable_at": undelivered}, update)
                for update, ids in alike.values()
                for chunk in chunked(ids, WRITE_CHUNK)
            ],
            ordered=False,
        )

    async def backlog(self) -> float:
        """Undelivered events (due or waiting for a retry): a range per partition on ``claimable_by_partition``."""
        counts = await asyncio.gather(
            *(
                self._outbox.count_documents({"partition": p, "claimable_at": {"$gte": EPOCH}})
                for p in range(PARTITIONS)
            )
        )
        return float(sum(counts))

    async def lag_s(self) -> float:
        """How long the longest-waiting due event has been due (0 when dispatchers keep up)."""
        now = datetime.now(UTC)
        firsts = await asyncio.gather(
            *(
                self._outbox.find_one({"partition": p, "claimable_at": {"$lte": now}}, {"claimable_at": 1})
                for p in range(PARTITIONS)
            )
        )
        due = [first["claimable_at"] for first in firsts if first is not None]
        return max(0.0, (now - min(due)).total_seconds()) if due else 0.0

    async def list_by_state(self, state: EventState, before: ObjectId | None, limit: int) -> list[OutboxEvent]:
        query: dict[str, Any] = {"state": state}
        if before is not None:
            query["_id"] = {"$lt": before}
        return await self._outbox.find(query).sort("_id", DESCENDING).limit(limit).to_list()

    async def redrive(self, event_id: ObjectId, now: datetime) -> OutboxEvent | None:
        """A dead event goes back to the queue with a fresh attempt budget."""
        return await self._outbox.find_one_and_update(
            {"_id": event_id, "state": "dead"},
            {
                "$set": {"state": "pending", "claimable_at": now, "attempts": 0, "redriven_at": now},
                "$unset": {"died_at": ""},
            },
            return_document=ReturnDocument.AFTER,
        )


def _event_document(event: EventFields, now: datetime) -> OutboxEvent:
    """A new event: pending, claimable at once, in its key's partition."""
    doc: OutboxEvent = {
        "_id": ObjectId(),
        "state": "pending",
        "claimable_at": now,
        "created_at": now,
        "attempts": 0,
        "order_key": None,
        "seq": 0,
        "request_id": current_request_id(),
        **event,
    }
    doc["partition"] = _partition(doc)
    return doc


def _partition(event: Mapping[str, Any]) -> int:
    return partition_of(event.get("order_key") or str(event["_id"]))
