"""Every MongoDB query of the Open311 feature: API keys, and what a request brought besides the report.

``open311_requests`` holds, per report filed through Open311 (same ``_id`` as the report),
the key that filed it, the requester's contact details (never answered to anyone), the
attribute answers and a submitted ``media_url``. It is written inside the report's own
transaction, so a report never exists without it or the other way round.
"""

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from core.db import TransactionWrites

API_KEYS = "open311_api_keys"
REQUESTS = "open311_requests"


class Open311Repository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._keys = db[API_KEYS]
        self._requests = db[REQUESTS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[API_KEYS].create_index([("key_sha256", ASCENDING)], unique=True)
        await db[API_KEYS].create_index([("created_at", ASCENDING)])

    async def insert_key(self, key: dict[str, Any]) -> None:
        await self._keys.insert_one(key)

    async def active_key(self, key_sha256: str) -> dict[str, Any] | None:
        return await self._keys.find_one({"key_sha256": key_sha256, "revoked_at": None})

    async def revoke_key(self, key_id: str, at: datetime) -> bool:
        result = await self._keys.update_one({"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": at}})
        return result.modified_count == 1

    async def list_keys(self) -> list[dict[str, Any]]:
        cursor = self._keys.find({}, {"key_sha256": 0}).hint([("created_at", ASCENDING)]).sort("created_at", ASCENDING)
        return await cursor.to_list()

    def insert_request(self, record: dict[str, Any], writes: TransactionWrites) -> None:
        """With the writes of the report the request created: one exists exactly when the other does."""
        writes.insert(self._requests, record)

    async def get_request(self, report_id: ObjectId) -> dict[str, Any] | None:
        return await self._requests.find_one({"_id": report_id})

    async def media_urls(self, report_ids: list[ObjectId]) -> dict[ObjectId, str]:
        """Submitted media links of these reports (those filed through Open311 with one)."""
        if not report_ids:
            return {}
        cursor = self._requests.find({"_id": {"$in": report_ids}, "media_url": {"$ne": None}}, {"media_url": 1})
        return {doc["_id"]: doc["media_url"] async for doc in cursor}
