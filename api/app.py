"""``create_app()``: the one place where the service is assembled.

Everything with a cost or a side effect (database client, indexes, Firebase app, routing
tables, background loops) is built in the lifespan and kept on ``app.state``, so importing
this module does nothing and tests build as many apps as they like.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from pymongo.errors import PyMongoError

from api.admin.router import router as admin_router
from api.appeals.router import router as appeals_router
from api.audit.repository import AuditRepository
from api.auth import SuspectAddresses, TokenVerifier
from api.broadcasts.router import router as broadcasts_router
from api.categories.router import router as categories_router
from api.changelog.repository import ChangeLogRepository
from api.console.router import router as console_router
from api.corrections.repository import CorrectionRepository
from api.devices.repository import DeviceRepository
from api.devices.router import router as devices_router
from api.duplicates.finder import HotCells
from api.duplicates.repository import FollowerRepository
from api.duplicates.router import router as duplicates_router
from api.errors import declare_problem_schemas, install_error_handlers
from api.feedback.router import router as feedback_router
from api.health.router import router as health_router
from api.idempotency.repository import IdempotencyRepository
from api.input_guard import reject_operator_keys
from api.listeners import build_report_changes
from api.middleware import BodySizeLimit
from api.observability.metrics import Metrics
from api.observability.middleware import RequestContext
from api.observability.router import router as metrics_router
from api.open311.catalogue import ServiceCatalogue
from api.open311.repository import Open311Repository
from api.open311.router import router as open311_router
from api.photos.processing import PhotoLimits
from api.photos.router import router as photos_router
from api.photos.signing import required_signer
from api.photos.storage import GridFSPhotoStore
from api.public.router import router as public_router
from api.ratelimit.repository import RateLimitRepository
from api.ratelimit.service import charge_batcher
from api.reports.classification import ReportClassifier
from api.reports.codes import CodeAllocator
from api.reports.repository import ReportRepository
from api.reports.router import router as reports_router
from api.reports.writer import IntakeGroups, ReportWriter
from api.state import AppState, state_of
from api.stats.dashboard import router as dashboard_router
from api.stats.repository import StatsRepository
from api.stats.router import router as stats_router
from api.subscriptions.repository import SubscriptionRepository
from api.subscriptions.router import router as subscriptions_router
from api.triage.queue import QueueHorizons
from api.triage.router import router as triage_router
from api.triage.sla import SlaPolicy
from api.triage.tables import TriageTables
from api.web.router import router as web_router
from api.worker import build_worker, load_escalation
from classifiers.loader import load_classifier
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from classifiers.threads import limit_threads
from core import db as database
from core.settings import Settings, get_settings
from notifications.outbox import OutboxRepository

log = logging.getLogger(__name__)
API_VERSION = "1.0.0"


def index_setups(settings: Settings) -> list[database.IndexSetup]:
    return [
        ReportRepository.ensure_indexes,
        GridFSPhotoStore.ensure_indexes,
        IdempotencyRepository.index_setup(settings.idempotency_ttl_s),
        RateLimitRepository.ensure_indexes,
        DeviceRepository.ensure_indexes,
        AuditRepository.ensure_indexes,
        FollowerRepository.ensure_indexes,
        CorrectionRepository.ensure_indexes,
        OutboxRepository.ensure_indexes,
        Open311Repository.ensure_indexes,
        StatsRepository.ensure_indexes,
        ChangeLogRepository.ensure_indexes,
        SubscriptionRepository.ensure_indexes,
    ]


def _freeze_start_up_objects() -> None:
    """Leave what start-up built (the classifier's ~500 000 objects) out of every later collection.

    A full collection walks every tracked object with the event loop stopped: under
    bench/load.py each API worker paused 330-440 ms for one once or twice a minute. Frozen
    objects are never collected, so the start-up's garbage is collected first (once, ~0.4 s).
    """
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = state_of(app).settings
    if settings.mongodb_uri is None:
        raise RuntimeError("PHANANH_MONGODB_URI is not set: run `phananh serve`, which starts the embedded database")
    if settings.is_dev:
        log.warning("DEV MODE: unsigned Firebase emulator tokens are accepted. Never expose this instance.")
    state = state_of(app)
    state.photo_signer = required_signer(settings)  # prod without its key: refused before anything opens
    state.client = database.make_client(settings.mongodb_uri, server_selection_timeout_ms=settings.database_timeout_ms)
    state.db = state.client[settings.database_name]
    state.taxonomy = Taxonomy.load(settings.taxonomy_file)
    state.wards = WardIndex.load(settings.wards_file, settings.ward_snap_m)
    state.ward_outlines = None  # the pages' ward map, projected at its first request
    state.sla = SlaPolicy.load(settings.sla_file)
    state.escalation = load_escalation(settings)
    state.triage_tables = TriageTables.load(
        settings.proof_file, settings.rejection_reasons_file, settings.reply_templates_file, state.taxonomy
    )
    state.open311_catalogue = ServiceCatalogue.load(state.taxonomy)
    state.token_verifier = TokenVerifier(settings)
    state.auth_suspects = SuspectAddresses()
    limit_threads(settings.classifier_threads)
    classifier = await anyio.to_thread.run_sync(load_classifier, settings.classifier_model)
    threshold = settings.classifier_threshold if settings.classifier_threshold is not None else classifier.threshold
    state.report_classifier = ReportClassifier(
        classifier,
        state.taxonomy,
        threshold,
        observe=state.metrics.observe_classification,
        max_batch=settings.classifier_max_batch,
        max_wait_s=settings.classifier_batch_wait_ms / 1000,
    )
    state.photo_store = GridFSPhotoStore(state.db)
    state.photo_limits = PhotoLimits.from_settings(settings)
    state.photo_limiter = anyio.CapacityLimiter(settings.photo_workers)
    state.report_changes = build_report_changes(state.db)
    state.public_stats_cache = {}  # (day, locale) -> (expires, answer) of GET /v1/public/stats
    state.report_codes = CodeAllocator(ReportRepository(state.db).reserve_sequence)
    state.duplicate_hot_cells = HotCells()
    state.queue_horizons = QueueHorizons()
    state.rate_charges = charge_batcher(RateLimitRepository(state.db))
    state.report_intake = IntakeGroups(
        ReportWriter(state.client, ReportRepository(state.db), AuditRepository(state.db), state.report_changes),
        settings.intake_group_max,
    )
    state.metrics.register_gauge(
        "phananh_reports_overdue", "Open reports past their due date", ReportRepository(state.db).count_overdue
    )
    outbox = OutboxRepository(state.db)
    state.metrics.register_gauge("phananh_outbox_backlog", "Push events not yet delivered", outbox.backlog)
    state.metrics.register_gauge(
        "phananh_outbox_lag_seconds", "How long the oldest due push event has waited", outbox.lag_s
    )
    state.indexes_ready = False

    async def ensure_indexes() -> None:
        await database.ensure_indexes(state.db, index_setups(settings))
        state.indexes_ready = True

    state.ensure_indexes = ensure_indexes
    with contextlib.suppress(PyMongoError):  # a database still starting: /readyz retries
        await ensure_indexes()

    state.worker = build_worker(state.client, state.db, settings)
    if state.worker.stats is not None:
        state.metrics.register_gauge(
            "phananh_stats_lag_seconds",
            "How long the oldest report change not yet in the statistics has waited",
            state.worker.stats.lag_s,
        )
    background = asyncio.create_task(state.worker.run_forever()) if settings.run_worker else None
    if settings.gc_freeze_after_start:
        _freeze_start_up_objects()
    try:
        yield
    finally:
        if background is not None:
            state.worker.stop()
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
        await state.worker.close()
        state.token_verifier.close()
        await state.client.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="phananh",
        version=API_VERSION,
        description="Residents' reports for Hanoi: intake, routing, triage, notifications, statistics.",
        lifespan=lifespan,
        dependencies=[Depends(reject_operator_keys)],
    )
    app.state = AppState()  # typed: api/state.py lists what is built where
    app.state.settings = settings
    app.state.metrics = Metrics(settings.metrics_cache_s)  # no I/O; the middleware needs it now
    install_error_handlers(app)
    declare_problem_schemas(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext, metrics=app.state.metrics)  # outermost: sees the 413s too
    # public_router first: its /v1/reports/nearby must not be read as /v1/reports/{report_id}
    for router in (
        health_router,
        metrics_router,
        public_router,
        subscriptions_router,
        reports_router,
        photos_router,
        categories_router,
        devices_router,
        triage_router,
        duplicates_router,
        feedback_router,
        appeals_router,
        broadcasts_router,
        admin_router,
        open311_router,
        stats_router,
        dashboard_router,
        console_router,
        web_router,
    ):
        app.include_router(router)
    return app
