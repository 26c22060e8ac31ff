"""Fixed-window counters: one document per (scope, subject, window), expired by a TTL index."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from core.db import DUPLICATE_KEY

RATE_LIMITS = "rate_limits"


@dataclass(frozen=True)
class Charge:
    """``amount`` more against ``bucket``, allowed while its total stays within ``limit``."""

    bucket: str
    amount: int
    limit: int
    expires_at: datetime


class RateLimitRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._counters = db[RATE_LIMITS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        await db[RATE_LIMITS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def charge_within(self, charges: Sequence[Charge]) -> list[bool]:
        """Add each charge whose bucket stays within its limit, all in one database command; one
        flag per charge, False where the limit would be passed (that charge is not counted).

        Each is an upsert conditioned on the room left: a bucket without room does not match,
        so the upsert tries to create it again and the unique ``_id`` refuses (duplicate key).
        Two first charges of a new bucket can also race to create it; the loser is tried once
        more, when the bucket exists and only its room decides. (Intake used to spend one
        ``findAndModify`` per limit: 2-3 of the 9 commands of a report.)
        """
        allowed = [charge.amount <= charge.limit for charge in charges]
        pending = [i for i, ok in enumerate(allowed) if ok]
        for _ in range(2):
            if not pending:
                break
            refused = await self._upsert_within([charges[i] for i in pending])
            pending = [pending[i] for i in sorted(refused)]
        for i in pending:
            allowed[i] = False
        return allowed

    async def charge_together(self, requests: list[Sequence[Charge]]) -> list[list[bool]]:
        """``charge_within`` for several requests at once (``RateLimiter``'s group commit): the
        charges of one bucket are summed into one upsert, so a burst from one address costs one
        statement, not one per report. A sum that does not fit is charged again one by one
        (each then allowed while room is left, as if the requests had come singly).
        """
        alike: dict[tuple[str, int, datetime], list[tuple[int, int]]] = {}
        for r, charges in enumerate(requests):
            for c, charge in enumerate(charges):
                alike.setdefault((charge.bucket, charge.limit, charge.expires_at), []).append((r, c))
        summed = [
            Charge(bucket, sum(requests[r][c].amount for r, c in members), limit, expires_at)
            for (bucket, limit, expires_at), members in alike.items()
        ]
        allowed = [[False] * len(charges) for charges in requests]
        singly: list[tuple[int, int]] = []
        for ok, members in zip(await self.charge_within(summed), alike.values(), strict=True):
            if ok:
                for r, c in members:
                    allowed[r][c] = True
            elif len(members) > 1:
                singly.extend(members)
        if singly:
            for (r, c), ok in zip(singly, await self.charge_within([requests[r][c] for r, c in singly]), strict=True):
                allowed[r][c] = ok
        return allowed

    async def _upsert_within(self, charges: Sequence[Charge]) -> set[int]:
        """The positions (in ``charges``) whose upsert met a duplicate key."""
        updates = [
            UpdateOne(
                {"_id": charge.bucket, "count": {"$lte": charge.limit - charge.amount}},
                {"$inc": {"count": charge.amount}, "$setOnInsert": {"expires_at": charge.expires_at}},
                upsert=True,
            )
            for charge in charges
        ]
        try:
            await self._counters.bulk_write(updates, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            return {int(error["index"]) for error in errors}
        return set()

    async def count(self, bucket: str) -> int:
        doc = await self._counters.find_one({"_id": bucket}, {"count": 1})
        return int(doc["count"]) if doc else 0
