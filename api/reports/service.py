"""Report rules: intake (validation, photos, idempotency, all-or-nothing write) and the resident's list.

Who may see a report and how it looks is ``api.reports.access``; how it is written, ``api.reports.writer``.

Intake order matters: cheap refusals first (idempotent replay, location, category, rate
limit), then the CPU-heavy photo pipeline, then the write. A report's photos are written by its
own transaction (their GridFS documents join its ``bulkWrite``), so no orphan photo and no half
report survive an error.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from api.auth import Principal
from api.duplicates.finder import AREA_CELL_DEGREES, DuplicateFinder, geo_cell
from api.errors import BadRequest, FieldError
from api.idempotency.repository import IdempotencyRepository
from api.idempotency.service import find_replay, fingerprint
from api.photos.service import NewPhotos, PhotoService, RawUpload
from api.ratelimit.service import Limit, RateLimiter
from api.reports.access import photo_urls, view
from api.reports.classification import Assessment, ReportClassifier
from api.reports.codes import CodeAllocator
from api.reports.repository import ReportRepository
from api.reports.schemas import PossibleDuplicateOut, ReportPage, ReportSubmission, ReportSummary, WardOut
from api.reports.writer import AlsoWrite, IntakeGroups, NewReport
from api.triage.sla import SlaPolicy
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.db import TransactionWrites, utc_now
from core.documents import Deadlines, Report, StatusEntry
from core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: dict[str, Any]
    replayed: bool


def _intake_history(now: datetime, principal: Principal, assessment: Assessment) -> list[StatusEntry]:
    """Received from the resident; assigned by the system at once when the model is sure."""
    history: list[StatusEntry] = [
        {
            "status": "received",
            "at": now,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "public_note": None,
            "internal_note": None,
        }
    ]
    if assessment.routing.auto_routed:
        history.append(
            {
                "status": "assigned",
                "at": now,
                "by_uid": None,
                "by_role": "system",
                "public_note": None,
                "internal_note": f"auto-routed: {assessment.routing.reason}",
            }
        )
    return history


class ReportService:
    def __init__(
        self,
        *,
        intake: IntakeGroups,
        repo: ReportRepository,
        idempotency: IdempotencyRepository,
        photos: PhotoService,
        rate_limiter: RateLimiter,
        taxonomy: Taxonomy,
        wards: WardIndex,
        settings: Settings,
        codes: CodeAllocator,
        classifier: ReportClassifier,
        sla: SlaPolicy,
        duplicates: DuplicateFinder,
    ) -> None:
        self._intake = intake
        self._duplicates = duplicates
        self._sla = sla
        self._classifier = classifier
        self._codes = codes
        self._repo = repo
        self._idempotency = idempotency
        self._photos = photos
        self._rate_limiter = rate_limiter
        self._taxonomy = taxonomy
        self._wards = wards
        self._settings = settings

    async def submit(
        self,
        principal: Principal,
        submission: ReportSubmission,
        uploads: list[RawUpload],
        idempotency_key: str | None,
        client_ip: str | None = None,
        *,
        rate_limit: int | None = None,
        also_write: AlsoWrite | None = None,
    ) -> IntakeResult:
        """File one report. ``rate_limit`` replaces the per-resident limit for callers that file for
        many people (an Open311 organisation); ``also_write`` adds the caller's own records to the
        report's transaction, so they exist exactly when the report does. ``client_ip`` None: no
        per-address limit (Open311 organisations are limited per key instead)."""
        request_fingerprint = fingerprint(submission.model_dump(), [u.data for u in uploads])
        replay = await find_replay(self._idempotency, principal.uid, idempotency_key, request_fingerprint)
        if replay is not None:
            return IntakeResult(replay.status, replay.body, replayed=True)

        if len(uploads) > self._settings.max_photos:
            raise FieldError("photos", "field.too_many_photos", limit=self._settings.max_photos)
        if submission.category is not None and submission.category not in self._taxonomy.categories:
            raise FieldError("category", "field.unknown_category")
        ward = self._wards.locate(submission.lat, submission.lng)
        if ward is None:
            raise FieldError("lat", "field.outside_hanoi")
        await self._charge_limits(principal.uid, client_ip, sum(len(u.data) for u in uploads), rate_limit)

        assessment = await self._classifier.assess(submission.description, submission.category, ward)
        processed = await self._photos.process(uploads)
        now = utc_now()
        report_id = ObjectId()
        code = await self._codes.next_code(now)
        possible_duplicates = await self._duplicates.possible_duplicates(
            assessment.routing.category or assessment.classification["category"],
            submission.lng,
            submission.lat,
            submission.description,
            now,
        )
        photos = NewPhotos.of(processed)
        report: Report = {
            "_id": report_id,
            "code": code,
            "resident_uid": principal.uid,
            "description": submission.description,
            "category_hint": submission.category,
            "location": {"type": "Point", "coordinates": [submission.lng, submission.lat]},
            "geo_cell": geo_cell(submission.lat, submission.lng),
            "area_cell": geo_cell(submission.lat, submission.lng, AREA_CELL_DEGREES),
            "visibility": submission.visibility,
            "photos_public": bool(photos.refs) and submission.visibility == "public" and submission.photos_public,
            "accuracy_m": submission.accuracy_m,
            "address": submission.address,
            "ward": {"code": ward.code, "name": ward.name},
            "photos": photos.refs,
            "status": "assigned" if assessment.routing.auto_routed else "received",
            "status_history": _intake_history(now, principal, assessment),
            "category": assessment.routing.category,
            "agency": assessment.routing.agency,
            **self._deadlines(now, assessment, submission.description),
            "classification": assessment.classification,
            "routing": assessment.routing_document(),
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        shown = view(report, principal).model_copy(
            update={"possible_duplicates": [PossibleDuplicateOut(**d) for d in possible_duplicates]}
        )
        body = shown.model_dump(mode="json")

        async def write_with_report(written: Report, writes: TransactionWrites) -> None:
            self._photos.write_with_report(str(report_id), photos, writes)
            if also_write is not None:
                await also_write(written, writes)
            if idempotency_key is not None:
                await self._idempotency.record(
                    principal.uid,
                    idempotency_key,
                    request_fingerprint,
                    201,
                    body,
                    now,
                    self._settings.idempotency_ttl_s,
                    writes,
                )

        try:
            await self._intake.create(NewReport(report, now, write_with_report))
        except DuplicateKeyError:
            replay = await find_replay(self._idempotency, principal.uid, idempotency_key, request_fingerprint)
            if replay is None:
                raise
            return IntakeResult(replay.status, replay.body, replayed=True)
        self._duplicates.filed(report)
        log.info("report %s received", code)
        return IntakeResult(201, body, replayed=False)

    async def _charge_limits(self, uid: str, client_ip: str | None, photo_bytes: int, rate_limit: int | None) -> None:
        """Per resident and per address, so neither many accounts nor many addresses get around them."""
        settings, window_s = self._settings, self._settings.report_rate_window_s
        limits = [Limit("report_create", uid, rate_limit or settings.report_rate_limit, window_s)]
        if client_ip is not None:
            limits.append(Limit("report_create_ip", client_ip, settings.report_ip_rate_limit, window_s))
        if photo_bytes:
            limits.append(Limit("photo_bytes", uid, settings.photo_bytes_rate_limit, window_s, photo_bytes))
        await self._rate_limiter.hit_all(limits)

    def _deadlines(self, now: datetime, assessment: Assessment, text: str) -> Deadlines:
        """Priority and due dates, fixed when the report is routed (recomputed on reassignment)."""
        category = assessment.routing.category or assessment.classification["category"]
        priority = self._sla.priority(category, text)
        acknowledge_by = self._sla.due(now, category, priority, "acknowledge")
        return {
            "priority": priority,
            "overdue": False,
            "due_at": acknowledge_by,
            "due_acknowledge_at": acknowledge_by,
            "due_resolve_at": self._sla.due(now, category, priority, "resolve"),
        }

    async def list_mine(self, principal: Principal, cursor: str | None, limit: int) -> ReportPage:
        before = None
        if cursor:
            try:
                before = ObjectId(cursor)
            except (InvalidId, TypeError) as exc:
                raise BadRequest("cursor_invalid") from exc
        docs = await self._repo.list_for_resident(principal.uid, before, limit + 1)
        items = [self.summary(doc) for doc in docs[:limit]]
        next_cursor = str(docs[limit - 1]["_id"]) if len(docs) > limit else None
        return ReportPage(items=items, next_cursor=next_cursor)

    @staticmethod
    def summary(report: dict[str, Any]) -> ReportSummary:
        photos = report.get("photos") or []
        return ReportSummary(
            id=str(report["_id"]),
            code=report["code"],
            status=report["status"],
            description=report["description"][:280],
            ward=WardOut(**report["ward"]) if report.get("ward") else None,
            thumbnail_url=photo_urls(photos[0]["id"])[1] if photos else None,
            created_at=report["created_at"],
        )
