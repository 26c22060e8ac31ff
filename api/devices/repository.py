"""The devices collection: one document per FCM token (the token is the key)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

DEVICES = "devices"


class DeviceRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._devices = db[DEVICES]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[DEVICES].create_index([("resident_uid", ASCENDING), ("registered_at", DESCENDING)])
        await db[DEVICES].create_index([("ward", ASCENDING)])

    async def upsert(self, token: str, uid: str, platform: str, locale: str, ward: str | None, now: datetime) -> dict[str, Any] | None:
        """Register or move a token to this resident; returns the previous document, if any."""
        return await self._devices.find_one_and_replace(
            {"_id": token},
            {"_id": token, "resident_uid": uid, "platform": platform, "locale": locale, "ward": ward, "registered_at": now},
            upsert=True,
        )

    async def tokens_beyond(self, uid: str, keep: int) -> list[str]:
        """The resident's tokens older than their ``keep`` most recent ones."""
        cursor = self._devices.find({"resident_uid": uid}, {"_id": 1}).sort("registered_at", DESCENDING).skip(keep)
        return [doc["_id"] async for doc in cursor]

    async def delete(self, tokens: list[str], uid: str | None = None) -> int:
        query: dict[str, Any] = {"_id": {"$in": tokens}}
        if uid is not None:
            query["resident_uid"] = uid
        return (await self._devices.delete_many(query)).deleted_count

    async def for_resident(self, uid: str) -> list[dict[str, Any]]:
        cursor = self._devices.find({"resident_uid": uid}).sort("registered_at", DESCENDING)
        return [doc async for doc in cursor]
