"""Fixed-window counters: one document per (scope, subject, window), expired by a TTL index."""

from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

RATE_LIMITS = "rate_limits"


class RateLimitRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._counters = db[RATE_LIMITS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[RATE_LIMITS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def add(self, bucket: str, amount: int, expires_at: datetime) -> int:
        doc = await self._counters.find_one_and_update(
            {"_id": bucket}, {"$inc": {"count": amount}, "$setOnInsert": {"expires_at": expires_at}},
            upsert=True, return_document=ReturnDocument.AFTER)
        return int(doc["count"])
