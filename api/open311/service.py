"""Open311 rules: turn a GeoReport request into the app's own intake, and answer the listings.

A request filed here is an ordinary report: ``ReportService.submit`` validates, classifies,
routes and stores it exactly as for the app, with a principal standing for the API key's
organisation (role ``open311``, which no staff rule grants anything). The resident's pick is
the spec's ``service_code``; the classifier still runs and records its own view.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.auth import Principal
from api.domain import OPEN_STATUSES, STATUSES
from api.open311.catalogue import ServiceCatalogue
from api.open311.formats import Open311Error
from api.open311.mapping import HANOI, PROJECTION, service_code_of, to_service_request
from api.open311.repository import Open311Repository
from api.open311.schemas import CreatedRequestOut, ServiceRequestOut, TokenOut
from api.photos.service import PhotoService
from api.photos.storage import StoredPhoto
from api.public.rules import PUBLIC_VARIANTS, is_public, public_photo_ids
from api.reports.repository import ReportRepository
from api.reports.schemas import ReportSubmission
from api.reports.service import ReportService
from core.db import TransactionWrites
from core.documents import Report
from core.i18n import translate

OPEN311_ROLE = "open311"
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
_STATUS_GROUPS = {"open": OPEN_STATUSES, "closed": tuple(s for s in STATUSES if s not in OPEN_STATUSES)}
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
_CONTACT_LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40, "device_id": 100, "account_id": 100}


def organisation_principal(key: Mapping[str, Any]) -> Principal:
    """Who files a report through Open311: the key's organisation, never a staff role."""
    return Principal(uid=f"open311:{key['_id']}", role=OPEN311_ROLE)


def _parse_datetime(raw: str | None, field: str) -> datetime | None:
    """A w3 datetime; one without an offset is read as Hanoi time."""
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=HANOI)
        value = value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise Open311Error(400, "open311.date_invalid", field=field) from exc
    if not 1970 <= value.year <= 9000:
        raise Open311Error(400, "open311.date_invalid", field=field)
    return value


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters as given (strings), checked by ``Open311Service.list_requests``."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class NewRequest:
    """The fields of a POSTed request (single values; attributes may repeat)."""

    fields: dict[str, str]
    attributes: dict[str, list[str]]

    @classmethod
    def from_form(cls, items: list[tuple[str, Any]]) -> "NewRequest":
        fields: dict[str, str] = {}
        attributes: dict[str, list[str]] = {}
        for name, value in items:
            if not isinstance(value, str):
                raise Open311Error(400, "open311.field_not_text", field=name[:64])
            match = _ATTRIBUTE.match(name)
            if match:
                attributes.setdefault(match.group(1), []).append(value)
            else:
                fields[name] = value
        return cls(fields, attributes)

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value.strip() if value is not None and value.strip() else None


class Open311Service:
    def __init__(
        self,
        *,
        reports: ReportService,
        report_repo: ReportRepository,
        repo: Open311Repository,
        catalogue: ServiceCatalogue,
        report_rate_limit: int,
    ) -> None:
        self._reports = reports
        self._report_repo = report_repo
        self._repo = repo
        self._catalogue = catalogue
        self._report_rate_limit = report_rate_limit

    async def submit(self, key: Mapping[str, Any], request: NewRequest, locale: str) -> CreatedRequestOut:
        """Check everything first (nothing is written for a bad request), then the app's intake."""
        code = request.get("service_code")
        if code is None:
            raise Open311Error(400, "open311.service_code_missing")
        if not self._catalogue.exists(code):
            raise Open311Error(400, "open311.service_code_unknown", code=code[:64])
        if request.get("lat") is None or request.get("long") is None:
            raise Open311Error(400, "open311.location_required")
        if request.get("description") is None:
            raise Open311Error(400, "open311.description_required")
        attributes = self._catalogue.parse_attributes(code, request.attributes)
        media_url = request.get("media_url")
        if media_url is not None and (len(media_url) > 2048 or not re.match(r"^https?://[^\s/]+", media_url)):
            raise Open311Error(400, "open311.media_url_invalid")
        contact = {name: request.get(name) for name in _CONTACT_LIMITS}
        for name, limit in _CONTACT_LIMITS.items():
            value = contact[name]
            if value is not None and len(value) > limit:
                raise Open311Error(400, "open311.field_too_long", field=name, limit=limit)
        try:
            fields = {
                "description": request.get("description"),
                "lat": request.get("lat"),
                "lng": request.get("long"),
                "address": request.get("address_string"),
                "category": code,
            }
            # absent, not None: the model's length limits do not accept an explicit None
            submission = ReportSubmission.model_validate({k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc

        async def write_request_record(report: Report, writes: TransactionWrites) -> None:
            self._repo.insert_request(
                {
                    "_id": report["_id"],
                    "key_id": key["_id"],
                    "organisation": key["name"],
                    "contact": contact,
                    "attributes": attributes,
                    "media_url": media_url,
                    "created_at": report["created_at"],
                },
                writes,
            )

        result = await self._reports.submit(
            organisation_principal(key),
            submission,
            [],
            None,
            rate_limit=self._report_rate_limit,
            also_write=write_request_record,
        )
        routing = result.body.get("routing") or {}
        notice = "open311.notice_routed" if result.body["status"] == "assigned" else "open311.notice_triage"
        return CreatedRequestOut(
            service_request_id=result.body["code"],
            token=result.body["id"],
            service_notice=translate(notice, locale, agency=routing.get("agency_name") or ""),
            account_id=contact["account_id"],
        )

    async def list_requests(self, query: RequestQuery, english: bool, media_base: str) -> list[ServiceRequestOut]:
        codes = _split(query.service_request_id)
        if codes:  # the spec: request ids override every other filter
            if len(codes) > MAX_RESULTS or any(len(c) > 64 for c in codes):
                raise Open311Error(400, "open311.request_ids_invalid", limit=MAX_RESULTS)
            reports = [r for r in await self._report_repo.by_codes(codes, PROJECTION) if is_public(r)]
            reports.sort(key=lambda r: (r["created_at"], r["_id"]), reverse=True)
            return await self._answer(reports, english, media_base)
        start, end = self._window(query)
        statuses = self._statuses(query.status)
        service_codes = _split(query.service_code)
        for code in service_codes:
            if not self._catalogue.exists(code):
                raise Open311Error(400, "open311.service_code_unknown", code=code[:64])
        wanted = set(service_codes)
        filters: list[dict[str, Any]]
        if wanted:  # a report awaiting triage has no category yet: it is listed under the requester's pick
            filters = [{"category": c, "status": s} for c in sorted(wanted) for s in statuses]
            filters += [{"category": None, "status": s} for s in statuses]
        else:
            filters = [{"status": s} for s in statuses]
        reports = await self._report_repo.created_between(
            filters,
            start,
            end,
            MAX_RESULTS,
            PROJECTION,
            keep=lambda report: is_public(report) and (not wanted or service_code_of(report) in wanted),
        )
        return await self._answer(reports, english, media_base)

    async def get_request(self, code: str, english: bool, media_base: str) -> ServiceRequestOut:
        reports = [r for r in await self._report_repo.by_codes([code[:64]], PROJECTION) if is_public(r)]
        if not reports:
            raise Open311Error(404, "open311.request_not_found", code=code[:64])
        return (await self._answer(reports, english, media_base))[0]

    async def token(self, token: str) -> TokenOut:
        try:
            report_id = ObjectId(token)
        except (InvalidId, TypeError) as exc:
            raise Open311Error(404, "open311.token_not_found") from exc
        report = await self._report_repo.get(report_id)
        if report is None or not is_public(report):
            raise Open311Error(404, "open311.token_not_found")
        return TokenOut(service_request_id=report["code"], token=token)

    async def public_photo(self, photo_id: str, photos: PhotoService) -> StoredPhoto:
        """A report's redacted public photo for anyone (media_url): only those its author let others
        see, not hidden by staff, not of rejected reports, and only once the worker made the copy."""
        stored = (
            await photos.get(photo_id, PUBLIC_VARIANTS["display"]) if re.fullmatch(r"[0-9a-f]{24}", photo_id) else None
        )
        report = await self._report_repo.get(ObjectId(stored.report_id)) if stored is not None else None
        if (
            stored is None
            or report is None
            or report["status"] == "rejected"
            or photo_id not in public_photo_ids(report)
        ):
            raise Open311Error(404, "open311.media_not_found")
        return stored

    @staticmethod
    def _window(query: RequestQuery) -> tuple[datetime, datetime]:
        """[start, end): the last 90 days by default; at most 90 days (the spec's limit)."""
        start = _parse_datetime(query.start_date, "start_date")
        end = _parse_datetime(query.end_date, "end_date")
        if end is None:
            end = start + MAX_SPAN if start is not None else datetime.now(UTC) + timedelta(seconds=1)
        if start is None:
            start = end - MAX_SPAN
        if end <= start:
            raise Open311Error(400, "open311.date_order")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "open311.date_span", days=MAX_SPAN.days)
        return start, end

    @staticmethod
    def _statuses(raw: str | None) -> list[str]:
        groups = _split(raw) or list(_STATUS_GROUPS)
        if any(group not in _STATUS_GROUPS for group in groups):
            raise Open311Error(400, "open311.status_invalid")
        return [status for group in dict.fromkeys(groups) for status in _STATUS_GROUPS[group]]

    async def _answer(self, reports: list[dict[str, Any]], english: bool, media_base: str) -> list[ServiceRequestOut]:
        """Service requests in the given order; media: the first stored photo, else a submitted link."""
        links = await self._repo.media_urls([r["_id"] for r in reports if not r.get("photos")])

        def media_url(report: dict[str, Any]) -> str | None:
            if report["status"] == "rejected":  # perhaps rejected for what it shows
                return None
            if report.get("photos"):  # a resident's photos: the redacted copy, if they let others see them
                shown = public_photo_ids(report)
                return f"{media_base}/{shown[0]}.jpg" if shown else None
            return links.get(report["_id"])

        return [to_service_request(r, self._catalogue, english, media_url(r)) for r in reports]
