"""Which features listen to report changes: built once per process (API or worker)."""

from pymongo.asynchronous.database import AsyncDatabase

from api.changes import ReportChanges
from api.stats.rollups import RollupListener
from notifications.events import OutboxListener
from notifications.outbox import OutboxRepository


def build_report_changes(db: AsyncDatabase) -> ReportChanges:
    """The push outbox and the statistics rollups, written in every report change's transaction."""
    return ReportChanges([OutboxListener(OutboxRepository(db)), RollupListener(db)])
