"""Which features listen to report changes: built once per process (API or worker)."""

from pymongo.asynchronous.database import AsyncDatabase

from api.changes import ReportChangeListener, ReportChanges
from api.settings import Settings
from api.stats.rollups import RollupListener
from notifications.events import OutboxListener
from notifications.outbox import OutboxRepository


def report_change_listeners(db: AsyncDatabase, settings: Settings) -> list[ReportChangeListener]:
    return [OutboxListener(OutboxRepository(db)), RollupListener(db)]


def build_report_changes(db: AsyncDatabase, settings: Settings) -> ReportChanges:
    return ReportChanges(report_change_listeners(db, settings))
