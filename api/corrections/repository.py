"""corrections: one document per recategorisation or reassignment, written with the change itself."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TypedDict

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from core.db import TransactionWrites

CORRECTIONS = "corrections"


class Correction(TypedDict):
    """A document of ``corrections``: what staff changed of the model's routing, and what it had said."""

    report_id: ObjectId
    report_code: str
    kind: str  # reassign | recategorise
    reason: str
    text: str  # the report's, as filed
    model_category: str | None
    model_confidence: float | None
    old_category: str | None
    new_category: str | None
    old_agency: str | None
    new_agency: str
    by_uid: str
    by_role: str
    at: datetime


class CorrectionRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._corrections = db[CORRECTIONS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[CORRECTIONS].create_index([("at", ASCENDING)])

    def record(self, correction: Correction, writes: TransactionWrites) -> None:
        writes.insert(self._corrections, correction)

    async def since(self, start: datetime | None) -> AsyncIterator[Correction]:
        """Oldest first (index ``at``), so a later correction of the same report wins on export."""
        query = {"at": {"$gte": start}} if start else {"at": {"$exists": True}}
        async for doc in self._corrections.find(query).sort("at", ASCENDING):
            yield doc
