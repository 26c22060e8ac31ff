"""Which dispatcher sends which events: the outbox split into partitions, each held by one dispatcher.

Every event carries ``partition``, a hash of its order key (of its id when it has none), so
one report's events share a partition. A dispatcher holds a share of the partitions under a
lease it renews every few seconds and sends their events without writing a lease onto each
event: on SecantusDB that per-event write was about 3 ms of the 7 ms an event cost the
database (bench/notifications.py). What held before still holds:

- a partition has one live holder, so two live dispatchers never send the same event and one
  report's pushes keep the order of its changes;
- a dispatcher that dies keeps its partitions until its lease runs out; then others take them
  over and send what it had not settled again (at least once).

Shares: each dispatcher announces itself with a member document renewed with its lease, and
holds at most ceil(partitions / live members): it releases what it holds beyond that and takes
free or expired partitions up to it, so a new worker gets its share within a few seconds.
"""

import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from core.db import DUPLICATE_KEY, EPOCH

PARTITIONS = 16
OUTBOX_PARTITIONS = "outbox_partitions"
MEMBER = "member:"
MEMBER_RETENTION = timedelta(hours=1)  # a dead member's document lingers this long after its lease


def partition_of(key: str) -> int:
    """The partition of an order key (stable across processes and releases: CRC-32, not ``hash``)."""
    return zlib.crc32(key.encode()) % PARTITIONS


class PartitionRepository:
    """The partition and member documents (a few dozen: read whole)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._docs = db[OUTBOX_PARTITIONS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        docs = db[OUTBOX_PARTITIONS]
        await docs.create_index([("expires_at", ASCENDING)], name="members_retention", expireAfterSeconds=0)
        try:
            await docs.insert_many(
                [{"_id": p, "owner": None, "until": EPOCH} for p in range(PARTITIONS)], ordered=False
            )
        except BulkWriteError as exc:  # another process created them first
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
                raise

    async def everything(self) -> list[dict[str, Any]]:
        return await self._docs.find({}).to_list()

    async def announce(self, owner: str, until: datetime) -> None:
        await self._docs.update_one(
            {"_id": MEMBER + owner},
            {"$set": {"until": until, "expires_at": until + MEMBER_RETENTION}},
            upsert=True,
        )

    async def renew(self, owner: str, partitions: list[int], until: datetime) -> None:
        await self._docs.update_many({"_id": {"$in": partitions}, "owner": owner}, {"$set": {"until": until}})

    async def take(self, owner: str, partition: int, now: datetime, until: datetime) -> None:
        """Take a free or expired partition; of two dispatchers racing for it, one wins."""
        await self._docs.update_one(
            {"_id": partition, "until": {"$lte": now}}, {"$set": {"owner": owner, "until": until}}
        )

    async def release(self, owner: str, partitions: list[int]) -> None:
        await self._docs.update_many(
            {"_id": {"$in": partitions}, "owner": owner}, {"$set": {"owner": None, "until": EPOCH}}
        )

    async def leave(self, owner: str) -> None:
        await self._docs.delete_one({"_id": MEMBER + owner})


@dataclass
class PartitionShare:
    """One dispatcher's partitions, renewed and rebalanced at most every ``tick``."""

    repo: PartitionRepository
    owner: str
    lease: timedelta
    held: list[int] = field(default_factory=list)
    _next_tick: datetime = EPOCH

    @property
    def tick(self) -> timedelta:
        return min(timedelta(seconds=2), self.lease / 4)

    async def current(self, now: datetime) -> list[int]:
        """The partitions this dispatcher may send now (renewing and rebalancing when due)."""
        if now >= self._next_tick:
            await self._rebalance(now)
            self._next_tick = now + self.tick
        return self.held

    async def _rebalance(self, now: datetime) -> None:
        until = now + self.lease
        await self.repo.announce(self.owner, until)
        docs = await self.repo.everything()
        partitions = [d for d in docs if isinstance(d["_id"], int)]
        members = sum(1 for d in docs if isinstance(d["_id"], str) and d["until"] > now)
        fair = math.ceil(PARTITIONS / max(1, members))
        mine = sorted(d["_id"] for d in partitions if d["owner"] == self.owner and d["until"] > now)
        if mine[fair:]:
            await self.repo.release(self.owner, mine[fair:])
        if mine[:fair]:
            await self.repo.renew(self.owner, mine[:fair], until)
        for partition in sorted(d["_id"] for d in partitions if d["until"] <= now)[: max(0, fair - len(mine))]:
            await self.repo.take(self.owner, partition, now, until)
        self.held = sorted(
            d["_id"]
            for d in await self.repo.everything()
            if isinstance(d["_id"], int) and d["owner"] == self.owner and d["until"] > now
        )

    async def leave(self) -> None:
        """Give every partition back at once (a drain that ends, a worker that stops)."""
        if self.held:
            await self.repo.release(self.owner, self.held)
        await self.repo.leave(self.owner)
        self.held, self._next_tick = [], EPOCH
