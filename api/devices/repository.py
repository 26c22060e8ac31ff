"""The devices collection: one document per FCM token (the token is the key)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.db import chunked
from core.documents import Device

DEVICES = "devices"


class DeviceRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._devices = db[DEVICES]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[DEVICES].create_index([("resident_uid", ASCENDING), ("registered_at", DESCENDING)])
        await db[DEVICES].create_index([("ward", ASCENDING)])

    async def upsert(
        self,
        token: str,
        uid: str,
        platform: str,
        locale: str,
        ward: str | None,
        now: datetime,
        session: AsyncClientSession | None = None,
    ) -> Device | None:
        """Register or move a token to this resident; returns the previous document, if any.

        A read and a replace (the caller's transaction makes them one) rather than
        ``findAndReplace``, which SecantusDB serves by scanning the collection (see
        ``ReportRepository.claim_one_before``).
        """
        before = await self._devices.find_one({"_id": token}, session=session)
        await self._devices.replace_one(
            {"_id": token},
            {
                "_id": token,
                "resident_uid": uid,
                "platform": platform,
                "locale": locale,
                "ward": ward,
                "registered_at": now,
            },
            upsert=True,
            session=session,
        )
        return before

    async def beyond(self, uid: str, keep: int, session: AsyncClientSession | None = None) -> list[Device]:
        """The resident's devices older than their ``keep`` most recent ones."""
        cursor = self._devices.find({"resident_uid": uid}, session=session).sort("registered_at", DESCENDING).skip(keep)
        return [doc async for doc in cursor]

    async def get(self, token: str, session: AsyncClientSession | None = None) -> Device | None:
        return await self._devices.find_one({"_id": token}, session=session)

    async def delete(self, tokens: list[str], uid: str | None = None, session: AsyncClientSession | None = None) -> int:
        query: dict[str, Any] = {"_id": {"$in": tokens}}
        if uid is not None:
            query["resident_uid"] = uid
        return (await self._devices.delete_many(query, session=session)).deleted_count

    async def for_residents(self, uids: list[str]) -> list[Device]:
        """Every device of these residents, in one query (the push dispatcher's batch)."""
        devices: list[Device] = []
        for some in chunked(uids):
            devices += await self._devices.find({"resident_uid": {"$in": some}}).to_list()
        return devices
