"""report_followers: who else wants a report's status updates (one document per report and resident).

A separate collection rather than an array on the report: a flooded street can gather
thousands of "me too"s, and a follow must not contend with staff updating the report.
"""

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.db import chunked

FOLLOWERS = "report_followers"


class FollowerRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._followers = db[FOLLOWERS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[FOLLOWERS].create_index([("report_id", ASCENDING), ("resident_uid", ASCENDING)], unique=True)
        await db[FOLLOWERS].create_index([("resident_uid", ASCENDING)])

    async def add(
        self, report_id: ObjectId, uids: list[str], via: str, at: datetime, session: AsyncClientSession | None = None
    ) -> None:
        """Idempotent: following twice (or being merged in twice) keeps one document."""
        if not uids:
            return
        await self._followers.bulk_write(
            [
                UpdateOne(
                    {"report_id": report_id, "resident_uid": uid}, {"$setOnInsert": {"via": via, "at": at}}, upsert=True
                )
                for uid in uids
            ],
            ordered=False,
            session=session,
        )

    async def remove(self, report_id: ObjectId, uid: str) -> None:
        await self._followers.delete_one({"report_id": report_id, "resident_uid": uid})

    async def uids(self, report_id: ObjectId, session: AsyncClientSession | None = None) -> list[str]:
        cursor = self._followers.find({"report_id": report_id}, {"resident_uid": 1, "_id": 0}, session=session)
        return [doc["resident_uid"] async for doc in cursor]

    async def for_reports(self, report_ids: list[ObjectId]) -> dict[ObjectId, list[tuple[str, datetime]]]:
        """(uid, since) of every follower of these reports, in one query (the push dispatcher's batch)."""
        followers: dict[ObjectId, list[tuple[str, datetime]]] = {}
        for some in chunked(report_ids):
            query = {"report_id": {"$in": some}}
            async for doc in self._followers.find(query, {"report_id": 1, "resident_uid": 1, "at": 1}):
                followers.setdefault(doc["report_id"], []).append((doc["resident_uid"], doc["at"]))
        return followers

    async def count(self, report_id: ObjectId) -> int:
        return await self._followers.count_documents({"report_id": report_id})
