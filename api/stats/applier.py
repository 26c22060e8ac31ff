"""The statistics applier: committed change-log records become ``$inc``s on the day's rollups.

Runs after commit, in ``phananh worker`` and inside ``phananh serve`` (the worker loop), never
in a report's transaction: every report would otherwise write the same day's documents, and
concurrent transactions conflicting on them were 43% of a storm's 503s. Each batch's ``$inc``s
and the marks that its records are applied commit in one transaction, so a crash (before the
commit nothing happened, after it everything did) or a second applier racing for the same
records (the loser's conditional marks match fewer records and it aborts) never counts a
change twice or drops one. Counts may lag by the polling interval, never lose.
"""

import asyncio
import logging
from datetime import datetime
from typing import Final

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from api.changelog.consumer import commit_applied
from api.changelog.documents import StatsChange
from api.changelog.repository import ChangeLogRepository
from api.stats.metrics import by_document, change_record, city_day, new_increments, record_increments, without_zeros
from api.stats.repository import StatsRepository
from core.changes import ReportChange
from core.db import utc_now
from core.stopping import pause

log = logging.getLogger(__name__)
CONSUMER: Final = "stats"


def stats_payload(change: ReportChange) -> StatsChange:
    """The ``stats`` part of a change's log record (see ``metrics.change_record``)."""
    return change_record(change.kind, change.before, change.after)


class StatsApplier:
    def __init__(self, client: AsyncMongoClient, db: AsyncDatabase, batch_size: int = 500) -> None:
        self._client = client
        self._changes = ChangeLogRepository(db)
        self._stats = StatsRepository(db)
        self._batch_size = batch_size

    async def apply_once(self) -> int:
        """Apply the oldest pending records, up to one batch, in one transaction; returns how many."""
        records = await self._changes.pending(CONSUMER, self._batch_size)
        if not records:
            return 0
        increments = new_increments()
        for record in records:
            by_document(
                city_day(record["at"]), record_increments(record["kind"], record["at"], record[CONSUMER]), increments
            )
        return await commit_applied(
            self._client,
            self._changes,
            CONSUMER,
            records,
            lambda session: self._stats.apply(without_zeros(increments), session),
        )

    async def drain(self) -> int:
        """Apply until nothing is pending (tests, ``worker --once``, the seal job's pre-step)."""
        applied = 0
        while batch := await self.apply_once():
            applied += batch
        return applied

    async def lag_s(self) -> float:
        """How long the oldest unapplied change has waited (0 when caught up): a Prometheus gauge."""
        oldest = await self._changes.oldest_pending_at(CONSUMER)
        return 0.0 if oldest is None else max(0.0, (utc_now() - oldest).total_seconds())

    async def oldest_pending_at(self) -> datetime | None:
        return await self._changes.oldest_pending_at(CONSUMER)

    async def run_forever(self, poll_s: float, stopping: asyncio.Event) -> None:
        """Batches back to back while they come full, else a ``poll_s`` pause to let the next one fill,
        until ``stopping`` is set (``core.stopping``).

        Each round's fixed cost (the poll, the transaction, the day's rollup upserts) is then
        shared by every change of ``poll_s`` instead of by the few of one round-trip.
        """
        while not stopping.is_set():
            try:
                applied = await self.apply_once()
            except Exception:  # the database away: log, wait, try again
                log.exception("statistics round failed")
                applied = 0
            if applied < self._batch_size:
                await pause(stopping, poll_s)
