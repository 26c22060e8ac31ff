"""audit_log: inserted in the same transaction as the change it records; never updated."""

from datetime import datetime
from typing import TypedDict

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from core.db import TransactionWrites

AUDIT_LOG = "audit_log"

AuditDetails = TypedDict(
    "AuditDetails",
    {
        "from": str | None,  # a status, agency, priority or body, as the action says
        "to": str | None,
        "category": str | None,
        "reason": str,
        "grounds": str,  # an appeal's
        "outcome": str,  # an appeal decision's
        "into": ObjectId,  # a merge's surviving report
        "due_at": datetime | None,  # the deadline missed (overdue, escalation)
        "level": int,  # an escalation's
        "stage": str,
        "part": str,  # a public view change's
        "photo_id": str | None,
        "hidden": bool,
        "public": bool,
    },
    total=False,
)
"""What an action records besides who did it and when (each action has some of these)."""


class AuditRecord(AuditDetails):
    """A document of ``audit_log``: the details sit beside the fixed fields."""

    report_id: ObjectId
    action: str
    actor_uid: str
    actor_role: str
    at: datetime


class AuditRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._log = db[AUDIT_LOG]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[AUDIT_LOG].create_index([("report_id", ASCENDING), ("at", ASCENDING)])

    def record(
        self,
        report_id: ObjectId,
        action: str,
        actor_uid: str,
        actor_role: str,
        at: datetime,
        details: AuditDetails,
        writes: TransactionWrites,
    ) -> None:
        record: AuditRecord = {
            "report_id": report_id,
            "action": action,
            "actor_uid": actor_uid,
            "actor_role": actor_role,
            "at": at,
            **details,
        }
        writes.insert(self._log, record)
