"""audit_log: inserted in the same transaction as the change it records; never updated."""

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

AUDIT_LOG = "audit_log"


class AuditRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._log = db[AUDIT_LOG]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[AUDIT_LOG].create_index([("report_id", ASCENDING), ("at", ASCENDING)])

    async def record(
        self,
        report_id: ObjectId,
        action: str,
        actor_uid: str,
        actor_role: str,
        at: datetime,
        details: dict[str, Any],
        session: AsyncClientSession,
    ) -> None:
        await self._log.insert_one(
            {
                "report_id": report_id,
                "action": action,
                "actor_uid": actor_uid,
                "actor_role": actor_role,
                "at": at,
                **details,
            },
            session=session,
        )
