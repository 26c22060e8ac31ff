"""Every MongoDB query of the statistics, and the indexes that serve them.

Two collections:
- ``stats_rollups``: one small document per (day, dimension, group), ``$inc``-ed by the
  statistics applier from the change log after each report's commit (``applier.py``). Small on purpose: SecantusDB
  rewrites a whole document per update
  (measured 1 ms for a small one, 23 ms for one holding 126 wards' counters).
- ``stats_sealed``: read-optimised copies of closed days, written by the sealing job:
  ``block`` documents (one dimension's groups summed over an aligned block of days, see
  ``spans.py``), ``cum`` documents (every group from the beginning of history to a month's
  end), one ``head`` document per dimension (every group up to the watermark: a range ending
  today reads it and today's live rollups), and per-group ``day``, ``week`` and ``month``
  documents for trends (a sealed day is one document, where the live city-wide day is eight
  shards). Sealed counters are packed vectors, one binary field per group (``vectors.py``).
  ``watermark`` says through which day everything is sealed.
"""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from api.stats.metrics import Increments, nested
from api.stats.spans import month_key
from api.stats.vectors import WIDTH, Groups, Vector, add_into, from_document, pack, pack_groups, unpack, unpack_groups
from core.db import DUPLICATE_KEY

ROLLUPS = "stats_rollups"
SEALED = "stats_sealed"
WATERMARK_ID = "watermark"
# of the sealed documents; a watermark of another layout is ignored and everything sealed again. The
# vectors' width is part of it, so a new counter re-seals by itself (packed vectors of another width are unreadable).
LAYOUT = f"6-{WIDTH}"  # 6: escalations, appeals, proof and rejection reasons
BATCH = 2000
LIVE_BATCH = 1000
TOTAL_SHARDS = 8


def rollup_id(day: str, dim: str, group: str) -> str:
    return f"{day}|{dim}|{group}"


def sealed_id(kind: str, period: str, dim: str) -> str:
    return f"{kind}|{period}|{dim}"


def group_period_id(kind: str, period: str, dim: str, group: str) -> str:
    return f"{kind}|{period}|{dim}|{group}"


def _inc_paths(fields: dict[str, int]) -> dict[str, int]:
    return {f"c.{field}": amount for field, amount in fields.items()}


class StatsRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._rollups = db[ROLLUPS]
        self._sealed = db[SEALED]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        # trends: one group's days; sealing and prefix sums: one dimension's days
        await db[ROLLUPS].create_index([("dim", ASCENDING), ("group", ASCENDING), ("day", ASCENDING)], name="trend")
        await db[ROLLUPS].create_index([("dim", ASCENDING), ("day", ASCENDING)], name="dim_days")
        # the documents changed since a checkpoint. Not (dim, day, at): SecantusDB 0.7 drops the
        # entries equal to a range's upper bound on a middle index field (day <= today lost today)
        await db[ROLLUPS].create_index([("dim", ASCENDING), ("at", ASCENDING)], name="changes")
        await db[ROLLUPS].create_index([("day", ASCENDING)], name="days")  # partial rebuilds
        await db[SEALED].create_index([("kind", ASCENDING), ("dim", ASCENDING), ("period", ASCENDING)], name="periods")
        await db[SEALED].create_index(
            [("kind", ASCENDING), ("dim", ASCENDING), ("group", ASCENDING), ("period", ASCENDING)], name="group_periods"
        )

    async def apply(self, increments: Increments, session: AsyncClientSession | None = None) -> None:
        """Atomic ``$inc``s, one round trip, in the applier's transaction.

        The city-wide document of the day is split into ``TOTAL_SHARDS`` documents, one picked
        at random per transaction, which reads sum: it was written when every report
        transaction incremented it, and keeps two racing appliers from always conflicting.
        """
        if not increments:
            return
        shard, now = f"|{random.randrange(TOTAL_SHARDS)}", datetime.now(UTC)
        await self._rollups.bulk_write(
            [
                UpdateOne(
                    {"_id": rollup_id(day, dim, group) + (shard if dim == "total" else "")},
                    {
                        "$inc": _inc_paths(fields),
                        "$max": {"at": now},
                        "$setOnInsert": {"day": day, "dim": dim, "group": group},
                    },
                    upsert=True,
                )
                for (day, dim, group), fields in increments.items()
            ],
            ordered=False,
            session=session,
        )

    async def replace_days(self, first: str, last: str, increments: Increments) -> None:
        """Rebuild: the rollups of days ``first..last`` become exactly ``increments``.

        Idempotent: PyMongo retries a batch whose answer was lost (seen once at 200 000
        reports under load), and the retry then meets the documents its first attempt wrote.
        """
        await self._rollups.delete_many({"day": {"$gte": first, "$lte": last}})
        docs = [
            {"_id": rollup_id(day, dim, group), "day": day, "dim": dim, "group": group, "c": nested(fields)}
            for (day, dim, group), fields in increments.items()
        ]
        for start in range(0, len(docs), BATCH):
            batch = docs[start : start + BATCH]
            try:
                await self._rollups.insert_many(batch, ordered=False)
            except BulkWriteError as error:  # a retried batch finds its own first attempt: overwrite
                failed = error.details["writeErrors"]
                if any(e["code"] != DUPLICATE_KEY for e in failed):
                    raise
                await self._rollups.bulk_write(
                    [ReplaceOne({"_id": batch[e["index"]]["_id"]}, batch[e["index"]], upsert=True) for e in failed],
                    ordered=False,
                )

    async def days(self, dim: str, first: str, last: str) -> dict[str, Groups]:
        """Live rollups of one dimension: day -> group -> counters (index ``dim_days``).

        No projection and one batch: SecantusDB spends more on applying a projection than on
        sending the few fields it would drop, and a second round trip costs as much as 20 documents.
        """
        out: dict[str, Groups] = defaultdict(dict)
        async for doc in self._rollups.find({"dim": dim, "day": {"$gte": first, "$lte": last}}, batch_size=LIVE_BATCH):
            add_into(out[doc["day"]], doc["group"], from_document(doc["c"]))
        return out

    async def live_documents(
        self, dim: str, days: list[str], changed_after: datetime | None = None
    ) -> dict[str, tuple[str, Vector]]:
        """Live rollups of one dimension by ``_id`` (shards apart): (group, counters); with ``changed_after``,
        only those updated since then (index ``changes``; otherwise ``dim_days``)."""
        # Exactly the fields of one index each: SecantusDB scans the collection for {dim, day, at}, and
        # takes ~350 ms for any hinted query. Documents changed since a checkpoint are the live days' own.
        query: dict[str, Any] = (
            {"dim": dim, "day": {"$in": days}} if changed_after is None else {"dim": dim, "at": {"$gte": changed_after}}
        )  # ms precision: equal may be later
        return {
            doc["_id"]: (doc["group"], from_document(doc["c"]))
            async for doc in self._rollups.find(query, batch_size=LIVE_BATCH)
            if doc["day"] in days
        }

    async def group_days(self, dim: str, group: str, first: str, last: str) -> dict[str, Vector]:
        """One group's live rollups by day (index ``trend``): a city-wide or one agency's time series."""
        out: dict[str, Vector] = {}
        async for doc in self._rollups.find(
            {"dim": dim, "group": group, "day": {"$gte": first, "$lte": last}}, batch_size=LIVE_BATCH
        ):
            add_into(out, doc["day"], from_document(doc["c"]))
        return out

    async def first_day(self) -> str | None:
        """The first day with any activity: the city-wide series' earliest document (index ``trend``)."""
        doc = await self._rollups.find_one({"dim": "total", "group": "*"}, {"day": 1}, sort=[("day", ASCENDING)])
        return doc["day"] if doc else None

    async def watermark(self) -> dict[str, Any] | None:
        """How far sealing went, or None: nothing sealed in the current layout (readers use the live rollups)."""
        return await self._sealed.find_one({"_id": WATERMARK_ID, "layout": LAYOUT})

    async def set_watermark(self, first: str, through: str | None) -> None:
        """Replaces the whole document: a checkpoint of the days after the old watermark no longer applies."""
        await self._sealed.replace_one(
            {"_id": WATERMARK_ID},
            {"kind": WATERMARK_ID, "first": first, "through": through, "layout": LAYOUT},
            upsert=True,
        )

    async def point_to_checkpoint(self, through: str, checkpoint: dict[str, Any] | None) -> None:
        """Readers use the checkpoints taken at ``checkpoint["at"]`` (None: none), if sealing is still at
        ``through``."""
        await self._sealed.update_one(
            {"_id": WATERMARK_ID, "through": through, "layout": LAYOUT}, {"$set": {"checkpoint": checkpoint}}
        )

    async def forget_checkpoint(self) -> None:
        """Before a rebuild rewrites live days: readers go back to the live documents until the next checkpoint
        (rebuilt documents carry no ``at``, so they would not show as changed)."""
        await self._sealed.update_one({"_id": WATERMARK_ID}, {"$set": {"checkpoint": None}})

    async def checkpoint(self, dim: str) -> dict[str, Any] | None:
        """One dimension's checkpoint: every group up to its moment (``g``) and the live documents it read."""
        doc = await self._sealed.find_one({"_id": sealed_id("checkpoint", "latest", dim)})
        if doc is None:
            return None
        return {
            "at": doc["at"],
            "through": doc["through"],
            "g": unpack_groups(doc["g"]),
            "documents": unpack_groups(doc["documents"]),
        }

    async def write_checkpoint(
        self, dim: str, through: str, at: datetime, groups: Groups, documents: dict[str, Vector]
    ) -> None:
        await self._sealed.replace_one(
            {"_id": sealed_id("checkpoint", "latest", dim)},
            {
                "kind": "checkpoint",
                "period": "latest",
                "dim": dim,
                "through": through,
                "at": at,
                "g": pack_groups(groups),
                "documents": pack_groups(documents),
            },
            upsert=True,
        )

    async def sealed(self, dim: str, keys: list[tuple[str, str]]) -> list[Groups]:
        """The groups of the sealed documents ``(kind, period)`` of one dimension that exist (by ``_id``)."""
        ids = [sealed_id(kind, period, dim) for kind, period in keys]
        return [unpack_groups(doc["g"]) async for doc in self._sealed.find({"_id": {"$in": ids}}, {"g": 1})]

    async def write_sealed(self, kind: str, dim: str, periods: dict[str, Groups]) -> None:
        ops = [
            ReplaceOne(
                {"_id": sealed_id(kind, period, dim)},
                {"kind": kind, "period": period, "dim": dim, "g": pack_groups(g)},
                upsert=True,
            )
            for period, g in periods.items()
        ]
        await self._bulk(ops)

    async def head(self, dim: str) -> tuple[str, Groups] | None:
        """Every group's counters up to a day, and that day (``through``)."""
        doc = await self._sealed.find_one({"_id": sealed_id("head", "latest", dim)})
        return None if doc is None else (doc["through"], unpack_groups(doc["g"]))

    async def write_head(self, dim: str, through: str, groups: Groups) -> None:
        await self._sealed.replace_one(
            {"_id": sealed_id("head", "latest", dim)},
            {"kind": "head", "period": "latest", "dim": dim, "through": through, "g": pack_groups(groups)},
            upsert=True,
        )

    async def group_periods(self, kind: str, dim: str, group: str, first: str, last: str) -> dict[str, Vector]:
        """One group's sealed days, weeks or months, by their first day (index ``group_periods``)."""
        cursor = self._sealed.find(
            {"kind": kind, "dim": dim, "group": group, "period": {"$gte": first, "$lte": last}}, {"period": 1, "c": 1}
        )
        return {doc["period"]: unpack(doc["c"]) async for doc in cursor}

    async def write_group_periods(self, kind: str, dim: str, periods: dict[str, Groups]) -> None:
        """Per-group documents: a trend reads one group's, never every group's."""
        await self._bulk(
            [
                ReplaceOne(
                    {"_id": group_period_id(kind, period, dim, group)},
                    {"kind": kind, "period": period, "dim": dim, "group": group, "c": pack(counters)},
                    upsert=True,
                )
                for period, groups in periods.items()
                for group, counters in groups.items()
            ]
        )

    async def _bulk(self, ops: list[ReplaceOne]) -> None:
        for start in range(0, len(ops), 200):
            await self._sealed.bulk_write(ops[start : start + 200], ordered=False)

    async def unseal_after(self, through: date | None) -> None:
        """Forget every sealed document that summed a day after ``through`` (a month's end; None: all)."""
        if through is None:
            await self._sealed.delete_many({"kind": {"$ne": WATERMARK_ID}})
            return
        following = through + timedelta(days=1)
        firsts = {
            "head": "",
            "checkpoint": "",
            "block": following.isoformat(),
            "cum": month_key(following),
            "month": following.isoformat(),
            "day": following.isoformat(),
            "week": (through - timedelta(days=5)).isoformat(),
        }  # a week ends after ``through`` if it starts then
        for kind, first in firsts.items():
            await self._sealed.delete_many({"kind": kind, "period": {"$gte": first}})
