"""The nearby map, public photos, and staff hiding parts of a report's public view.

Nearby reads the grid cells the duplicate finder already keeps on every report: the cells a
circle touches (fine ~100 m cells for small circles, ~1.1 km area cells for wide ones), one
indexed equality query per cell, merged newest first; exact distance, status and category are
checked here on what those queries return. Cards never carry the author's uid, contact
details, exact position or address text: only what ``NearbyCard`` names, texts masked.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from api.auth import Principal
from api.db import utc_now
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

MAX_FINE_CELLS = 25  # beyond this many ~100 m cells, read the ~1.1 km area cells instead
MAX_ROUNDS = 8  # reads per page at most; a sparse filter pages on with a cursor instead of reading on
CARD_FIELDS = {"code": 1, "status": 1, "category": 1, "category_hint": 1, "ward": 1, "description": 1, "location": 1,
               "created_at": 1, "photos.id": 1, "photos_public": 1, "visibility": 1, "public_hidden": 1, "notes": 1,
               "status_history.at": 1, "status_history.public_note": 1, "status_history.by_role": 1}


def nearby_cells(lat: float, lng: float, radius_m: float) -> tuple[str, list[int]]:
    """The report field and the cells to read for a circle: few queries, little read outside it."""
    fine = cells_within(lat, lng, radius_m)
    if len(fine) <= MAX_FINE_CELLS:
        return "geo_cell", fine
    return "area_cell", cells_within(lat, lng, radius_m, AREA_CELL_DEGREES)


def _cursor(raw: str | None) -> ObjectId | None:
    try:
        return ObjectId(raw) if raw else None
    except (InvalidId, TypeError) as exc:
        raise BadRequest("cursor_invalid") from exc


class PublicService:
    def __init__(self, reports: ReportRepository, followers: FollowerRepository, photos: PhotoService) -> None:
        self._reports = reports
        self._followers = followers
        self._photos = photos

    async def nearby(self, principal: Principal, lat: float, lng: float, radius_m: float, status: str | None,
                     category: str | None, cursor: str | None, limit: int) -> NearbyPage:
        field, cells = nearby_cells(lat, lng, radius_m)

        def keep(doc: Mapping[str, Any]) -> bool:
            doc_lng, doc_lat = doc["location"]["coordinates"]
            return ((status is None or doc["status"] == status)
                    and (category is None or service_code_of(dict(doc)) == category)
                    and distance_m(lat, lng, doc_lat, doc_lng) <= radius_m)

        before, page = _cursor(cursor), []
        for _ in range(MAX_ROUNDS):
            docs, horizon = await self._reports.public_in_cells(field, cells, before, limit + 1, CARD_FIELDS)
            page += [doc for doc in docs if keep(doc)]
            before = horizon
            if horizon is None or len(page) > limit:
                break
        if len(page) > limit:
            page, next_cursor = page[:limit], str(page[limit - 1]["_id"])
        else:  # the cells are exhausted (None), or the reads ran out: go on below what was read
            next_cursor = None if before is None else str(before)
        return NearbyPage(items=await self._cards(principal, page), next_cursor=next_cursor)

    async def _cards(self, principal: Principal, docs: list[dict[str, Any]]) -> list[NearbyCard]:
        followers = await self._followers.for_reports([doc["_id"] for doc in docs])
        shown = {doc["_id"]: public_photo_ids(doc)[:1] for doc in docs}
        ready = await self._photos.available([p for ids in shown.values() for p in ids], PUBLIC_VARIANTS["thumbnail"])
        now = utc_now()
        return [self._card(doc, followers.get(doc["_id"], []), principal.uid, now,
                           next((p for p in shown[doc["_id"]] if p in ready), None)) for doc in docs]

    @staticmethod
    def _card(doc: dict[str, Any], followers: list[tuple[str, datetime]], uid: str, now: datetime,
              photo_id: str | None) -> NearbyCard:
        lng, lat = doc["location"]["coordinates"]
        grid_lat, grid_lng = public_location(lat, lng)
        return NearbyCard(
            id=str(doc["_id"]), code=doc["code"], category=service_code_of(doc), status=doc["status"],
            ward=PublicWard(**doc["ward"]) if doc.get("ward") else None,
            description=public_text(doc, "description", doc["description"]),
            position=PublicPosition(lat=grid_lat, lng=grid_lng), created_at=doc["created_at"],
            age_s=max(0, int((now - doc["created_at"]).total_seconds())), followers=len(followers),
            following=any(follower == uid for follower, _ in followers),
            latest_reply=public_text(doc, "replies", latest_public_note(doc)),
            thumbnail_url=f"/v1/public-photos/{photo_id}/thumbnail" if photo_id else None)

    async def public_photo(self, photo_id: str, variant: str) -> StoredPhoto:
        """A redacted public copy (``display`` or ``thumbnail``): only of a photo its author shared, of a
        public report not rejected, not hidden by staff, and once the worker has made it."""
        stored = None
        if len(photo_id) == 24 and all(c in "0123456789abcdef" for c in photo_id):
            stored = await self._photos.get(photo_id, PUBLIC_VARIANTS[variant])
        report = await self._reports.get(ObjectId(stored.report_id)) if stored is not None else None
        if report is None or report["status"] == "rejected" or photo_id not in public_photo_ids(report):
            raise NotFound("photo_not_found")
        return stored


class PublicViewEditor:
    """Staff hide a text or photo from every public view at once (the views read the report itself)."""

    def __init__(self, reports: ReportRepository, writer: ReportWriter) -> None:
        self._reports = reports
        self._writer = writer

    async def change(self, principal: Principal, report_id: ObjectId, change: PublicViewChange,
                     expected_version: int) -> dict[str, Any]:
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
        details = {"part": change.part, "photo_id": change.photo_id, "hidden": change.hidden, "reason": change.reason,
                   "public": is_public(report)}
        edit = ReportEdit(None, {"public_hidden": current, "updated_at": now}, audit=Audited("public_view", details))
        return await self._writer.update(report, edit, actor=principal, at=now, expected_version=expected_version)
