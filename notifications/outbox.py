"""The outbox collection: every push-worthy event, written in the transaction of its cause.

An event is ``pending`` (claimable once ``claimable_at`` passes), ``leased`` to one
dispatcher until its lease runs out, then ``sent`` or ``dead``. ``claimable_at`` exists
only while an event is undelivered, so one small index serves the dispatchers' polling
and a crashed dispatcher's leases simply become claimable again (at-least-once).

Order: events sharing an ``order_key`` (one report's status changes, one device's topic
changes) are delivered one at a time in ``seq`` order. A dispatcher only claims the
undelivered event with the lowest ``seq`` of its key; the next one waits until that one
is sent or dead.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.db import chunked
from core.logs import current_request_id
from notifications.documents import EventFields, EventState, OutboxEvent

OUTBOX = "outbox"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OutboxRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._outbox = db[OUTBOX]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        outbox = db[OUTBOX]
        await outbox.create_index([("claimable_at", ASCENDING)], name="claimable")
        await outbox.create_index([("order_key", ASCENDING), ("seq", ASCENDING)], name="order")
        await outbox.create_index([("state", ASCENDING), ("_id", DESCENDING)], name="admin")
        await outbox.create_index([("expires_at", ASCENDING)], name="retention", expireAfterSeconds=0)

    async def enqueue(self, event: EventFields, now: datetime, session: AsyncClientSession | None) -> ObjectId:
        """Add an event; call it with the session of the change that causes it."""
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
        await self._outbox.insert_one(doc, session=session)
        return doc["_id"]

    async def claim(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxEvent]:
        """Lease up to ``limit`` claimable events to ``owner``, keeping each key's order.

        Each event is taken by a conditional update (it must still be claimable), which is
        atomic per document: of two dispatchers racing for an event exactly one gets it.
        When the update took every event asked for, the events read before it are the ones
        leased: an event changes after that read only by being leased, settled or rescheduled
        by another dispatcher, each of which moves ``claimable_at`` past ``now`` or unsets it,
        so the update would not have matched it. Only a partial win reads the winners again
        (the second read was ~15% of a 500-event claim's database time on SecantusDB).
        """
        candidates = await self._outbox.find({"claimable_at": {"$lte": now}}).limit(limit).to_list()
        keys = list({c["order_key"] for c in candidates if c.get("order_key")})
        heads: dict[str, int] = {}
        for some in chunked(keys):  # undelivered = has claimable_at (checked here: a second condition scans)
            async for doc in self._outbox.find(
                {"order_key": {"$in": some}}, {"order_key": 1, "seq": 1, "claimable_at": 1}
            ):
                if doc.get("claimable_at") is not None:
                    heads[doc["order_key"]] = min(doc["seq"], heads.get(doc["order_key"], doc["seq"]))
        eligible = [c for c in candidates if not c.get("order_key") or heads.get(c["order_key"]) == c["seq"]]
        lease_fields = {"state": "leased", "lease_owner": owner, "claimable_at": now + lease, "leased_at": now}
        claimed: list[OutboxEvent] = []
        for some in chunked(eligible):
            result = await self._outbox.update_many(
                {"_id": {"$in": [c["_id"] for c in some]}, "claimable_at": {"$lte": now}},
                {"$set": lease_fields, "$inc": {"attempts": 1}},
            )
            if result.modified_count == len(some):
                claimed += [cast(OutboxEvent, {**c, **lease_fields, "attempts": c["attempts"] + 1}) for c in some]
            else:
                claimed += await self._outbox.find(
                    {"_id": {"$in": [c["_id"] for c in some]}, "lease_owner": owner}
                ).to_list()
        return claimed

    async def settle(self, owner: str, outcomes: list[tuple[ObjectId, dict[str, Any]]]) -> None:
        """Record what became of leased events; a lease another dispatcher took over is left alone."""
        if not outcomes:
            return
        await self._outbox.bulk_write(
            [UpdateOne({"_id": event_id, "lease_owner": owner}, update) for event_id, update in outcomes], ordered=False
        )

    async def backlog(self) -> float:
        """Undelivered events (pending, leased or waiting for a retry): a range on index ``claimable``."""
        return float(await self._outbox.count_documents({"claimable_at": {"$gte": EPOCH}}))

    async def lag_s(self) -> float:
        """How long the longest-waiting due event has been due (0 when dispatchers keep up)."""
        now = datetime.now(UTC)
        due = await self._outbox.find({"claimable_at": {"$lte": now}}, {"claimable_at": 1}).limit(1).to_list()
        return max(0.0, (now - due[0]["claimable_at"]).total_seconds()) if due else 0.0

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
