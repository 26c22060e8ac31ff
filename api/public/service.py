"""The nearby map, public photos, and staff hiding parts of a report's public view.

Nearby reads the grid cells the duplicate finder already keeps on every report: the cells a
circle touches (fine ~100 m cells for small circles, ~1.1 km area cells for wide ones), one
indexed query per cell, equalities plus a window of filing times (the newest 6 hours, then
longer windows, sized from the rate seen so far, until the page is full: SecantusDB fetches
every match of a query before any limit, so each must stay small), merged newest first; exact distance, status and
category
are checked here on what those queries return. Cards never carry the author's uid, contact
details, exact position or address text: only what ``NearbyCard`` names, texts masked.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from api.auth import Principal
from api.duplicates.finder import AREA_CELL_DEGREES, cells_within, distance_m
from api.duplicates.repository import FollowerRepository
from api.errors import BadRequest, FieldError, NotFound
from api.geo import public_location
from api.open311.mapping import latest_public_note, service_code_of
from api.photos.service import PhotoService
from api.photos.storage import StoredPhoto
from api.public.rules import PUBLIC_VARIANTS, hidden, is_public, public_photo_ids, public_text
from api.public.schemas import NearbyCard, NearbyPage, PublicPosition, PublicViewChange, PublicWard
from api.reports.access import load_visible
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, ReportEdit, ReportWriter, require_version
from core.db import utc_now
from core.documents import Report

MAX_FINE_CELLS = 25  # beyond this many ~100 m cells, read the ~1.1 km area cells instead
FIRST_WINDOW = timedelta(hours=6)  # the newest 6 hours first, then longer windows until the page fills
MAX_GROWTH = 64.0  # an empty window is followed by one 64 times longer: 6 h, 16 days, 2.8 years
HORIZON = timedelta(days=5 * 365)  # the map's memory: older reports are not shown
LONGEST_WINDOW = HORIZON
MAX_ROUNDS = 10  # windows per page at most; a sparse filter pages on with a cursor instead of reading on
CARD_FIELDS = {
    "code": 1,
    "status": 1,
    "category": 1,
    "category_hint": 1,
    "ward": 1,
    "description": 1,
    "location": 1,
    "created_at": 1,
    "photos.id": 1,
    "photos_public": 1,
    "visibility": 1,
    "public_hidden": 1,
    "notes": 1,
    "status_history.at": 1,
    "status_history.public_note": 1,
    "status_history.by_role": 1,
}


def nearby_cells(lat: float, lng: float, radius_m: float) -> tuple[str, list[int]]:
    """The report field and the cells to read for a circle: few queries, little read outside it."""
    fine = cells_within(lat, lng, radius_m)
    if len(fine) <= MAX_FINE_CELLS:
        return "geo_cell", fine
    return "area_cell", cells_within(lat, lng, radius_m, AREA_CELL_DEGREES)


def _cursor(raw: str | None) -> tuple[ObjectId | None, timedelta]:
    """``<id>.<window seconds>``: page on below that report, with the window that filled the last page."""
    if not raw:
        return None, FIRST_WINDOW
    try:
        before, seconds = raw.split(".")
        return ObjectId(before), min(max(timedelta(seconds=int(seconds)), FIRST_WINDOW), LONGEST_WINDOW)
    except (InvalidId, TypeError, ValueError) as exc:
        raise BadRequest("cursor_invalid") from exc


def _next(before: Any, window: timedelta) -> str:
    return f"{before}.{int(window.total_seconds())}"


class PublicService:
    def __init__(self, reports: ReportRepository, followers: FollowerRepository, photos: PhotoService) -> None:
        self._reports = reports
        self._followers = followers
        self._photos = photos

    async def nearby(
        self,
        principal: Principal,
        lat: float,
        lng: float,
        radius_m: float,
        status: str | None,
        category: str | None,
        cursor: str | None,
        limit: int,
    ) -> NearbyPage:
        field, cells = nearby_cells(lat, lng, radius_m)

        def keep(doc: Mapping[str, Any]) -> bool:
            doc_lng, doc_lat = doc["location"]["coordinates"]
            return (
                (status is None or doc["status"] == status)
                and (category is None or service_code_of(dict(doc)) == category)
                and distance_m(lat, lng, doc_lat, doc_lng) <= radius_m
            )

        older_than, window = _cursor(cursor)
        end = older_than.generation_time if older_than is not None else utc_now() + timedelta(seconds=1)
        page: list[dict[str, Any]] = []
        horizon = utc_now() - HORIZON
        next_cursor = None
        for _ in range(MAX_ROUNDS):
            start = end - window
            newer_than = ObjectId.from_datetime(start)
            docs = await self._reports.public_in_cells(field, cells, newer_than, older_than, CARD_FIELDS)
            kept = sorted(filter(keep, docs), key=lambda doc: doc["_id"], reverse=True)
            page += kept
            if len(page) > limit:
                page, next_cursor = page[:limit], _next(page[limit - 1]["_id"], window)
                break
            if start <= horizon:  # read back to the map's memory: this was the last page
                next_cursor = None
                break
            # the next window from the rate just seen: long enough for what is missing, at least twice this one
            growth = MAX_GROWTH if not kept else min(MAX_GROWTH, max(2.0, 1.5 * (limit + 1 - len(page)) / len(kept)))
            end, older_than, window = start, newer_than, min(window * growth, LONGEST_WINDOW)
            next_cursor = _next(older_than, window)  # if the rounds run out: go on from here
        return NearbyPage(items=await self._cards(principal, page), next_cursor=next_cursor)

    async def _cards(self, principal: Principal, docs: list[dict[str, Any]]) -> list[NearbyCard]:
        followers = await self._followers.for_reports([doc["_id"] for doc in docs])
        shown = {doc["_id"]: public_photo_ids(doc)[:1] for doc in docs}
        ready = await self._photos.available([p for ids in shown.values() for p in ids], PUBLIC_VARIANTS["thumbnail"])
        now = utc_now()
        return [
            self._card(
                doc,
                followers.get(doc["_id"], []),
                principal.uid,
                now,
                next((p for p in shown[doc["_id"]] if p in ready), None),
            )
            for doc in docs
        ]

    @staticmethod
    def _card(
        doc: dict[str, Any], followers: list[tuple[str, datetime]], uid: str, now: datetime, photo_id: str | None
    ) -> NearbyCard:
        lng, lat = doc["location"]["coordinates"]
        grid_lat, grid_lng = public_location(lat, lng)
        return NearbyCard(
            id=str(doc["_id"]),
            code=doc["code"],
            category=service_code_of(doc),
            status=doc["status"],
            ward=PublicWard(**doc["ward"]) if doc.get("ward") else None,
            description=public_text(doc, "description", doc["description"]),
            position=PublicPosition(lat=grid_lat, lng=grid_lng),
            created_at=doc["created_at"],
            age_s=max(0, int((now - doc["created_at"]).total_seconds())),
            followers=len(followers),
            following=any(follower == uid for follower, _ in followers),
            latest_reply=public_text(doc, "replies", latest_public_note(doc)),
            thumbnail_url=f"/v1/public-photos/{photo_id}/thumbnail" if photo_id else None,
        )

    async def public_photo(self, photo_id: str, variant: str) -> StoredPhoto:
        """A redacted public copy (``display`` or ``thumbnail``): only of a photo its author shared, of a
        public report not rejected, not hidden by staff, and once the worker has made it."""
        stored = None
        if len(photo_id) == 24 and all(c in "0123456789abcdef" for c in photo_id):
            stored = await self._photos.get(photo_id, PUBLIC_VARIANTS[variant])
        report = await self._reports.get(ObjectId(stored.report_id)) if stored is not None else None
        if (
            stored is None
            or report is None
            or report["status"] == "rejected"
            or photo_id not in public_photo_ids(report)
        ):
            raise NotFound("photo_not_found")
        return stored


class PublicViewEditor:
    """Staff hide a text or photo from every public view at once (the views read the report itself)."""

    def __init__(self, reports: ReportRepository, writer: ReportWriter) -> None:
        self._reports = reports
        self._writer = writer

    async def change(
        self, principal: Principal, report_id: ObjectId, change: PublicViewChange, expected_version: int
    ) -> Report:
        report = await load_visible(self._reports, principal, report_id)
        require_version(report, expected_version)
        current = dict(hidden(report))
        if change.part == "photo":
            if change.photo_id not in {p["id"] for p in report.get("photos") or ()}:
                raise FieldError("photo_id", "field.unknown_photo")
            photos = set(current.get("photos") or ()) - {change.photo_id}
            current["photos"] = sorted(photos | ({change.photo_id} if change.hidden else set()))
        else:
            current[change.part] = change.hidden
        now = utc_now()
        audit = Audited(
            "public_view",
            {
                "part": change.part,
                "photo_id": change.photo_id,
                "hidden": change.hidden,
                "reason": change.reason,
                "public": is_public(report),
            },
        )
        edit = ReportEdit(None, {"public_hidden": current, "updated_at": now}, audit=audit)
        return await self._writer.update(report, edit, actor=principal, at=now, expected_version=expected_version)
