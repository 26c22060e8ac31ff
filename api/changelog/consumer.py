"""A consumer of the change log besides statistics: handle its pending records, mark them applied.

``outside`` runs first, outside any transaction, for work that cannot join one (photos in
GridFS: it must be idempotent, as a crash before the marks makes it run again); ``inside``
runs in the transaction that marks the records applied, so its writes happen exactly once.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from api.changelog.documents import ChangeRecord
from api.changelog.repository import ChangeLogRepository, ChangesTakenElsewhere
from core.db import run_in_transaction, utc_now

Records = list[ChangeRecord]


async def commit_applied(
    client: AsyncMongoClient,
    changes: ChangeLogRepository,
    consumer: str,
    records: Records,
    writes: Callable[[Any], Awaitable[None]],
) -> int:
    """Mark ``records`` applied for ``consumer`` in one transaction with ``writes`` (their effect): both
    or neither. Returns how many were applied: 0 when another applier took some first (re-read later)."""
    ids, now = [record["_id"] for record in records], utc_now()

    async def write(session: Any) -> None:
        await changes.mark_applied(consumer, ids, now, session)
        await writes(session)

    try:
        await run_in_transaction(client, write)
    except ChangesTakenElsewhere:
        return 0
    return len(records)


class ChangeConsumer:
    def __init__(
        self,
        client: AsyncMongoClient,
        db: AsyncDatabase,
        name: str,
        *,
        outside: Callable[[Records], Awaitable[None]] | None = None,
        inside: Callable[[Records, Any], Awaitable[None]] | None = None,
        batch_size: int = 100,
    ) -> None:
        self._client = client
        self._changes = ChangeLogRepository(db)
        self._name = name
        self._outside = outside
        self._inside = inside
        self._batch_size = batch_size

    async def apply_once(self) -> int:
        records = await self._changes.pending(self._name, self._batch_size)
        if not records:
            return 0
        if self._outside is not None:
            await self._outside(records)

        async def writes(session: Any) -> None:
            if self._inside is not None:
                await self._inside(records, session)

        return await commit_applied(self._client, self._changes, self._name, records, writes)

    async def drain(self) -> int:
        applied = 0
        while batch := await self.apply_once():
            applied += batch
        return applied
