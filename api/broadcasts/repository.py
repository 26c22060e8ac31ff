"""The broadcasts collection: every warning the city sent, newest first."""

from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

BROADCASTS = "broadcasts"


class BroadcastRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._broadcasts = db[BROADCASTS]

    async def insert(self, broadcast: dict[str, Any], session: AsyncClientSession) -> None:
        await self._broadcasts.insert_one(broadcast, session=session)

    async def newest(self, before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        """Served by the ``_id`` index (ids grow with time)."""
        query = {"_id": {"$lt": before}} if before is not None else {}
        return await self._broadcasts.find(query).sort("_id", DESCENDING).limit(limit).to_list()
