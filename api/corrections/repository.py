"""corrections: one document per recategorisation or reassignment, written with the change itself."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

CORRECTIONS = "corrections"


class CorrectionRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._corrections = db[CORRECTIONS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[CORRECTIONS].create_index([("at", ASCENDING)])

    async def record(self, correction: dict[str, Any], session: AsyncClientSession) -> None:
        await self._corrections.insert_one(correction, session=session)

    async def since(self, start: datetime | None) -> AsyncIterator[dict[str, Any]]:
        """Oldest first (index ``at``), so a later correction of the same report wins on export."""
        query = {"at": {"$gte": start}} if start else {"at": {"$exists": True}}
        async for doc in self._corrections.find(query).sort("at", ASCENDING):
            yield doc
