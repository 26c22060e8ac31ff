"""The idempotency_keys collection: one record per (caller, key), written with the result.

The record is inserted inside the same transaction as what the request created, so a
unique-index violation is how two racing retries learn that the other one won.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from core.db import TransactionWrites

IDEMPOTENCY_KEYS = "idempotency_keys"


class IdempotencyRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._keys = db[IDEMPOTENCY_KEYS]

    @staticmethod
    def index_setup(ttl_s: int):
        async def ensure_indexes(db: AsyncDatabase) -> None:
            keys = db[IDEMPOTENCY_KEYS]
            await keys.create_index([("owner", ASCENDING), ("key", ASCENDING)], unique=True)
            await keys.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

        return ensure_indexes

    async def find(self, owner: str, key: str) -> dict[str, Any] | None:
        return await self._keys.find_one({"owner": owner, "key": key})

    async def record(
        self,
        owner: str,
        key: str,
        fingerprint: str,
        status: int,
        body: dict[str, Any],
        now: datetime,
        ttl_s: int,
        writes: TransactionWrites,
    ) -> None:
        writes.insert(
            self._keys,
            {
                "owner": owner,
                "key": key,
                "fingerprint": fingerprint,
                "status": status,
                "body": body,
                "created_at": now,
                "expires_at": now + timedelta(seconds=ttl_s),
            },
        )
