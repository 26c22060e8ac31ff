"""Fixed-window counters: one document per (scope, subject, window), expired by a TTL index."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from core.db import DUPLICATE_KEY

RATE_LIMITS = "rate_limits"


@dataclass(frozen=True)
class Charge:
    """``amount`` more against ``bucket``, allowed while its total stays within ``limit``."""

    bucket: str
    amount: int
    limit: int
    expires_at: datetime


class RateLimitRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._counters = db[RATE_LIMITS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[RATE_LIMITS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def charge_within(self, charges: Sequence[Charge]) -> list[bool]:
        """Add each charge whose bucket stays within its limit, all in one database command; one
        flag per charge, False where the limit would be passed (that charge is not counted).

        Each is an upsert conditioned on the room left: a bucket without room does not match,
        so the upsert tries to create it again and the unique ``_id`` refuses (duplicate key).
        Two first charges of a new bucket can also race to create it; the loser is tried once
        more, when the bucket exists and only its room decides. (Intake used to spend one
        ``findAndModify`` per limit: 2-3 of the 9 commands of a report.)
        """
        allowed = [charge.amount <= charge.limit for charge in charges]
        pending = [i for i, ok in enumerate(allowed) if ok]
        for _ in range(2):
            if not pending:
                break
            refused = await self._upsert_within([charges[i] for i in pending])
            pending = [pending[i] for i in sorted(refused)]
        for i in pending:
            allowed[i] = False
        return allowed

    async def _upsert_within(self, charges: Sequence[Charge]) -> set[int]:
        """The positions (in ``charges``) whose upsert met a duplicate key."""
        updates = [
            UpdateOne(
                {"_id": charge.bucket, "count": {"$lte": charge.limit - charge.amount}},
                {"$inc": {"count": charge.amount}, "$setOnInsert": {"expires_at": charge.expires_at}},
                upsert=True,
            )
            for charge in charges
        ]
        try:
            await self._counters.bulk_write(updates, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            return {int(error["index"]) for error in errors}
        return set()

    async def count(self, bucket: str) -> int:
        doc = await self._counters.find_one({"_id": bucket}, {"count": 1})
        return int(doc["count"]) if doc else 0
