"""Which features listen to report changes: built once per process (API or worker)."""

from pymongo.asynchronous.database import AsyncDatabase

from api.changelog.listener import ChangeLogListener
from api.changelog.repository import ChangeLogRepository
from api.public.jobs import CONSUMER as PUBLIC_PHOTOS
from api.public.jobs import public_photos_payload
from api.stats.applier import CONSUMER as STATS
from api.stats.applier import stats_payload
from api.subscriptions.service import CONSUMER as SUBSCRIPTIONS
from api.subscriptions.service import subscription_payload
from core.changes import ReportChanges
from notifications.events import OutboxListener
from notifications.outbox import OutboxRepository


def build_report_changes(db: AsyncDatabase) -> ReportChanges:
    """Written in every report change's transaction: its push event and its change-log record.

    Both are new documents of their own. Statistics are derived from the change log after
    commit (``api/stats/applier.py``), never written here.
    """
    payloads = {STATS: stats_payload, PUBLIC_PHOTOS: public_photos_payload, SUBSCRIPTIONS: subscription_payload}
    return ReportChanges([OutboxListener(OutboxRepository(db)), ChangeLogListener(ChangeLogRepository(db), payloads)])
