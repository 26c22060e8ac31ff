"""The outbox collection: every push-worthy event, written in the transaction of its cause.

An event is ``pending`` (claimable once ``claimable_at`` passes) until it is ``sent`` or
``dead``. ``claimable_at`` exists only while an event is undelivered, so a sparse index on it
(``undelivered``) holds just those and serves the dispatchers' polling. Which dispatcher sends an
event is decided by its ``partition`` (``notifications.partitions``), not by a lease written
onto the event: a dispatcher that dies leaves its partitions' events claimable, and whoever
takes the partitions over sends them again (at least once).

Order: events sharing an ``order_key`` (one report's status changes, one device's topic
changes) are delivered one at a time in ``seq`` order. A dispatcher only claims the
undelivered event with the lowest ``seq`` of its key; the next one waits until that one
is sent or dead. One key's events share a partition, so only one dispatcher ever decides.
"""

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
UNDELIVERED = "undelivered"


class OutboxRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._outbox = db[OUTBOX]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        outbox = db[OUTBOX]
        await outbox.create_index([("claimable_at", ASCENDING)], name=UNDELIVERED, sparse=True)
        # per-event leases' poll, the order heads' read, and one poll query per partition: all gone
        for replaced in ("claimable", "order", "claimable_by_partition"):
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
        query reads their undelivered events (due or waiting for a retry) from the sparse index,
        which holds nothing else. A key's events all share its partition, so the heads (lowest
        undelivered ``seq`` of each key) are found among them.

        Not one query per partition on (``partition``, ``claimable_at``): SecantusDB serves a
        ``$in`` or a range on the first field of that index by a collection scan, so the poll
        was 16 queries every round, 22-31 ms of the database against 2.4-5 ms for this one
        (``/tmp`` measurement, 20 000 sent and 20 waiting events), and arrived as a burst of 16
        commands that every intake of the moment queued behind. The price: with several
        dispatchers, each reads the others' undelivered events too and the server drops them.
        """
        if not partitions:
            return []
        query: dict[str, Any] = {"claimable_at": {"$gte": EPOCH}}
        if len(partitions) < PARTITIONS:
            query["partition"] = {"$in": partitions}
        undelivered = await self._outbox.find(query).hint(UNDELIVERED).to_list()
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
        """Undelivered events (due or waiting for a retry): the whole sparse index ``undelivered``."""
        return float(await self._outbox.count_documents({"claimable_at": {"$gte": EPOCH}}, hint=UNDELIVERED))

    async def lag_s(self) -> float:
        """How long the longest-waiting due event has been due (0 when dispatchers keep up)."""
        now = datetime.now(UTC)
        first = await self._outbox.find_one(
            {"claimable_at": {"$lte": now}}, {"claimable_at": 1}, sort=[("claimable_at", ASCENDING)], hint=UNDELIVERED
        )
        return max(0.0, (now - first["claimable_at"]).total_seconds()) if first is not None else 0.0

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
