"""The broadcasts collection: every warning the city sent, newest first."""

from datetime import datetime
from typing import Literal, TypedDict

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from notifications.documents import BroadcastText

BROADCASTS = "broadcasts"


class Broadcast(TypedDict):
    """A document of ``broadcasts``: the warning as sent (its push is an outbox event)."""

    _id: ObjectId
    wards: list[str] | Literal["all"]
    title: BroadcastText
    body: BroadcastText
    severity: str
    created_at: datetime
    created_by_uid: str
    created_by_role: str


class BroadcastRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._broadcasts = db[BROADCASTS]

    async def insert(self, broadcast: Broadcast, session: AsyncClientSession) -> None:
        await self._broadcasts.insert_one(broadcast, session=session)

    async def newest(self, before: ObjectId | None, limit: int) -> list[Broadcast]:
        """Served by the ``_id`` index (ids grow with time)."""
        query = {"_id": {"$lt": before}} if before is not None else {}
        return await self._broadcasts.find(query).sort("_id", DESCENDING).limit(limit).to_list()
