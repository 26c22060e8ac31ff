"""The periodic jobs behind ``phananh worker`` (also run inside ``phananh serve`` unless --no-worker).

Every job is idempotent and safe to run in several processes at once, so a deployment may
run the jobs in each API process, in one or more separate workers, or both.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import anyio
from bson import ObjectId
from bson.errors import InvalidId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from api.audit.repository import AuditRepository
from api.changelog.consumer import ChangeConsumer
from api.devices.repository import DeviceRepository
from api.duplicates.repository import FollowerRepository
from api.listeners import build_report_changes
from api.photos.processing import PhotoLimits
from api.photos.service import PhotoService
from api.photos.signing import optional_signer
from api.photos.storage import GridFSPhotoStore
from api.public.jobs import CONSUMER as PUBLIC_PHOTOS
from api.public.jobs import PublicPhotoCopies
from api.reports.repository import ReportRepository
from api.reports.writer import ReportWriter
from api.stats.applier import StatsApplier
from api.stats.periods import checkpoint_live_days, seal_closed_days
from api.stats.repository import StatsRepository
from api.subscriptions.repository import SubscriptionRepository
from api.subscriptions.service import CONSUMER as SUBSCRIPTIONS
from api.subscriptions.service import DigestJobs
from api.triage.escalation import Escalation
from api.triage.jobs import TriageJobs
from api.triage.sla import SlaPolicy
from api.triage.supervision import SupervisionChain
from classifiers.routing.taxonomy import Taxonomy
from core.settings import Settings
from core.stopping import pause
from notifications.dispatcher import OutboxDispatcher, RetryPolicy
from notifications.outbox import OutboxRepository
from notifications.partitions import PartitionRepository
from notifications.senders import PushSender
from notifications.setup import build_sender

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[int]]


def load_escalation(settings: Settings) -> Escalation:
    """The escalation rules from the data files (a worker process loads them itself: no app state)."""
    taxonomy = Taxonomy.load(settings.taxonomy_file)
    return Escalation(
        SlaPolicy.load(settings.sla_file),
        SupervisionChain.load(settings.supervision_file, taxonomy),
        taxonomy.triage_agency,
    )


def standard_jobs(
    client: AsyncMongoClient, db: AsyncDatabase, settings: Settings, stats: StatsApplier | None = None
) -> dict[str, Job]:
    """The jobs, built from the database alone: a worker process needs no model and no Firebase.

    ``stats`` is the process's statistics applier (the seal job waits for what it has not applied).
    """
    stats = stats or StatsApplier(client, db, settings.stats_apply_batch)
    reports = ReportRepository(db)
    photos = PhotoService(GridFSPhotoStore(db), PhotoLimits.from_settings(settings), anyio.CapacityLimiter(1))
    triage = TriageJobs(
        ReportWriter(client, reports, AuditRepository(db), build_report_changes(db)),
        settings.reopen_window_days,
        load_escalation(settings),
    )

    async def report_exists(report_id: str) -> bool:
        try:
            return await reports.exists(ObjectId(report_id))
        except InvalidId:
            return False

    async def sweep_orphan_photos() -> int:
        """Photos an earlier version left pending (stored before their report's transaction)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=settings.orphan_photo_grace_s)
        return await photos.sweep_orphans(cutoff, report_exists)

    async def used_attachments(report_id: str) -> set[str]:
        try:
            return await reports.attachment_ids(ObjectId(report_id))
        except InvalidId:
            return set()

    async def sweep_unused_attachments() -> int:
        """Staff attachments no status change or note used within their grace period."""
        cutoff = datetime.now(UTC) - timedelta(seconds=settings.attachment_grace_s)
        return await photos.sweep_attachments(cutoff, used_attachments)

    async def seal_statistics() -> int:
        """Seal the closed days, then checkpoint the open ones (the days sealed are the job's count).

        A day is sealed only once no change of it waits for the applier: a sealed day is never
        read from its live rollups again, so a late increment there would be lost.
        """
        repo = StatsRepository(db)
        sealed = await seal_closed_days(
            repo, settings.stats_seal_grace_s, pending_since=await stats.oldest_pending_at()
        )
        await checkpoint_live_days(repo, settings.stats_checkpoint_grace_s)
        return sealed

    digests = DigestJobs(client, SubscriptionRepository(db), OutboxRepository(db), settings.subscription_digest_s)
    public_photos = ChangeConsumer(client, db, PUBLIC_PHOTOS, outside=PublicPhotoCopies(photos).make, batch_size=20)
    resolved_in_areas = ChangeConsumer(client, db, SUBSCRIPTIONS, inside=digests.add)
    return {
        "orphan_photos": sweep_orphan_photos,
        "orphan_attachments": sweep_unused_attachments,
        "overdue": triage.mark_overdue,
        "escalate": triage.escalate,
        "auto_close": triage.close_resolved,
        "stats_seal": seal_statistics,
        "public_photos": public_photos.drain,
        "area_digests": resolved_in_areas.drain,
        "digests_sent": digests.send_due,
    }


def build_dispatcher(db: AsyncDatabase, settings: Settings, sender: PushSender) -> OutboxDispatcher:
    """The push dispatcher, with the service's devices, followers and photo links as its recipients."""
    return OutboxDispatcher(
        OutboxRepository(db),
        PartitionRepository(db),
        DeviceRepository(db),
        FollowerRepository(db),
        sender,
        batch_size=settings.outbox_batch_size,
        lease=timedelta(seconds=settings.outbox_lease_s),
        retry=RetryPolicy(settings.outbox_max_attempts, settings.outbox_backoff_base_s, settings.outbox_backoff_cap_s),
        retention=timedelta(days=settings.outbox_retention_days),
        signer=optional_signer(settings),
    )


def build_worker(client: AsyncMongoClient, db: AsyncDatabase, settings: Settings) -> "Worker":
    """The periodic jobs, the statistics applier and the outbox dispatcher with its sender, as settings say."""
    sender = build_sender(settings)
    stats = StatsApplier(client, db, settings.stats_apply_batch)
    return Worker(
        standard_jobs(client, db, settings, stats),
        settings.worker_interval_s,
        build_dispatcher(db, settings, sender),
        settings.outbox_poll_s,
        sender,
        stats=stats,
        stats_poll_s=settings.stats_apply_poll_s,
    )


class Worker:
    def __init__(
        self,
        jobs: dict[str, Job],
        interval_s: int,
        dispatcher: OutboxDispatcher | None = None,
        poll_s: float = 0.5,
        sender: PushSender | None = None,
        *,
        stats: StatsApplier | None = None,
        stats_poll_s: float = 0.5,
    ) -> None:
        self.jobs = jobs
        self.interval_s = interval_s
        self.dispatcher = dispatcher
        self.poll_s = poll_s
        self.stats = stats
        self.stats_poll_s = stats_poll_s
        self._sender = sender
        self.stopping = asyncio.Event()

    async def _run_jobs(self) -> dict[str, int]:
        """Each job once; a failing job (database away) is logged and retried next round."""
        results = {}
        for name, job in self.jobs.items():
            try:
                results[name] = await job()
            except PyMongoError as exc:
                log.warning("job %s skipped: %s", name, exc)
        return results

    async def run_once(self) -> dict[str, int]:
        """Each job once, the statistics applier until caught up, then the outbox until empty."""
        results = await self._run_jobs()
        if self.stats is not None:
            results["stats"] = await self.apply_statistics()
        if self.dispatcher is not None:
            results["outbox"] = await self.drain_outbox()
        if any(results.values()):
            log.info("jobs: %s", results)
        return results

    async def apply_statistics(self) -> int:
        """Apply every pending change record to the statistics (the applier runs continuously in run_forever)."""
        return 0 if self.stats is None else await self.stats.drain()

    async def drain_outbox(self) -> int:
        """Dispatch until no event is claimable now (events waiting for a retry stay queued), then hand
        the partitions back so that another dispatcher need not wait for this one's lease to run out."""
        if self.dispatcher is None:
            return 0
        handled = 0
        try:
            while batch := await self.dispatcher.run_once():
                handled += batch
        finally:
            await self.dispatcher.leave()
        return handled

    async def run_forever(self) -> None:
        """Periodic jobs every ``interval_s``; the dispatcher and the statistics applier continuously,
        so pushes leave and counts move within a second. Until ``stop``."""
        async with asyncio.TaskGroup() as tasks:
            if self.dispatcher is not None:
                tasks.create_task(self.dispatcher.run_forever(self.poll_s, self.stopping))
            if self.stats is not None:
                tasks.create_task(self.stats.run_forever(self.stats_poll_s, self.stopping))
            while not self.stopping.is_set():
                await self._run_jobs()
                await pause(self.stopping, self.interval_s)

    def stop(self) -> None:
        """Let every loop of ``run_forever`` end after its current round. Call it before
        cancelling the task: a cancellation alone can be lost (``core.stopping``)."""
        self.stopping.set()

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.close()
