"""Fixed-window counters: one document per (scope, subject, window), expired by a TTL index."""

from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from core.db import increment

RATE_LIMITS = "rate_limits"


class RateLimitRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._counters = db[RATE_LIMITS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[RATE_LIMITS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def add(self, bucket: str, amount: int, expires_at: datetime) -> int:
        return await increment(self._counters, bucket, "count", amount, on_insert={"expires_at": expires_at})

    async def count(self, bucket: str) -> int:
        doc = await self._counters.find_one({"_id": bucket}, {"count": 1})
        return int(doc["count"]) if doc else 0
