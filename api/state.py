"""The application's state, typed: everything ``create_app()`` and the lifespan build once.

Starlette's ``app.state`` is an untyped attribute bag; this subclass names each attribute and
its type, so dependencies (``api/deps.py``) read ``AppState`` instead of guessing, a type
checker sees a misspelt attribute, and a newcomer finds here what exists and who builds it.
Attributes are still set by the lifespan (``api/app.py``), never at import.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from starlette.datastructures import State

if TYPE_CHECKING:  # annotations only: importing these here would tie every feature to every other
    import anyio
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.database import AsyncDatabase
    from starlette.types import ASGIApp

    from api.auth import SuspectAddresses, TokenVerifier
    from api.duplicates.finder import HotCells
    from api.observability.metrics import Metrics
    from api.open311.catalogue import ServiceCatalogue
    from api.photos.processing import PhotoLimits
    from api.photos.signing import PhotoUrlSigner
    from api.photos.storage import GridFSPhotoStore
    from api.ratelimit.service import ChargeBatcher
    from api.reports.classification import ReportClassifier
    from api.reports.codes import CodeAllocator
    from api.reports.writer import IntakeGroups
    from api.triage.escalation import Escalation
    from api.triage.queue import QueueHorizons
    from api.triage.sla import SlaPolicy
    from api.triage.tables import TriageTables
    from api.worker import Worker
    from classifiers.routing.taxonomy import Taxonomy
    from classifiers.routing.wards import WardIndex
    from core.changes import ReportChanges
    from core.settings import Settings


class AppState(State):
    """Set in ``create_app()``: settings, metrics (the middleware needs them before startup).
    Set in the lifespan: the rest."""

    settings: Settings
    metrics: Metrics
    client: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    taxonomy: Taxonomy
    wards: WardIndex
    sla: SlaPolicy
    escalation: Escalation
    triage_tables: TriageTables
    open311_catalogue: ServiceCatalogue
    token_verifier: TokenVerifier
    auth_suspects: SuspectAddresses
    report_classifier: ReportClassifier
    photo_store: GridFSPhotoStore
    photo_limits: PhotoLimits
    photo_signer: PhotoUrlSigner
    photo_limiter: anyio.CapacityLimiter
    report_changes: ReportChanges
    public_stats_cache: dict[tuple[date, str], tuple[float, Any]]  # GET /v1/public/stats, per (day, locale)
    report_codes: CodeAllocator
    duplicate_hot_cells: HotCells  # which spots are busy: the duplicate finder reads them by recency
    queue_horizons: QueueHorizons  # how far down each triage queue its first page reached
    rate_charges: ChargeBatcher  # rate-limit charges of concurrent requests, sent together
    report_intake: IntakeGroups  # new reports of concurrent requests, written by one transaction
    ward_outlines: dict[str, Any] | None  # GET /web/wards.json, projected on first use
    indexes_ready: bool
    ensure_indexes: Callable[[], Awaitable[None]]
    worker: Worker


def state_of(app: ASGIApp) -> AppState:
    """The typed state of the app serving a request (``request.app`` / ``connection.app``)."""
    return cast(AppState, app.state)  # type: ignore[attr-defined]
