"""A stored report as an Open311 service request: what anyone may read about it.

Nothing here names or locates the resident: no uid, no contact details, the position
snapped to the public grid, the ward instead of the address text, photos through the
public media route (the redacted public copies only), texts masked (``api.public.masking``).
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.domain import OPEN_STATUSES, STAFF_ROLES
from api.geo import public_location
from api.open311.catalogue import ServiceCatalogue
from api.open311.schemas import ServiceRequestOut
from api.public.rules import public_text

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# the report fields an Open311 answer is made of (and nothing else is read from the database)
PROJECTION = {
    "code": 1,
    "status": 1,
    "status_history.at": 1,
    "status_history.public_note": 1,
    "status_history.by_role": 1,
    "notes": 1,
    "category": 1,
    "category_hint": 1,
    "description": 1,
    "ward": 1,
    "location": 1,
    "photos.id": 1,
    "routing.agency_name": 1,
    "created_at": 1,
    "updated_at": 1,
    "due_resolve_at": 1,
    "visibility": 1,
    "photos_public": 1,
    "public_hidden": 1,
}


def w3_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with an offset, in Hanoi time (the spec requires the offset)."""
    return None if value is None else value.astimezone(HANOI).isoformat(timespec="seconds")


def service_code_of(report: dict[str, Any]) -> str | None:
    """The category it is handled under; while it awaits triage, the requester's pick."""
    return report.get("category") or report.get("category_hint")


def latest_public_note(report: dict[str, Any]) -> str | None:
    """The newest text the agency addressed to the public: a reply or a staff status change's note.

    Staff only: a resident's reopen reason is written to the agency and may give their address
    or phone number, so it never reaches this public feed.
    """
    notes = [(n["at"], n["text"]) for n in report.get("notes") or [] if n.get("visibility") == "public"]
    notes += [
        (e["at"], e["public_note"])
        for e in report.get("status_history") or []
        if e.get("public_note") and e.get("by_role") in STAFF_ROLES
    ]
    return max(notes, key=lambda note: note[0])[1] if notes else None


def to_service_request(
    report: dict[str, Any], catalogue: ServiceCatalogue, english: bool, media_url: str | None
) -> ServiceRequestOut:
    lng, lat = report["location"]["coordinates"]
    public_lat, public_lng = public_location(lat, lng)
    is_open = report["status"] in OPEN_STATUSES
    code = service_code_of(report)
    return ServiceRequestOut(
        service_request_id=report["code"],
        status="open" if is_open else "closed",
        status_notes=public_text(report, "replies", latest_public_note(report)),
        service_name=catalogue.service_name(code, english),
        service_code=code,
        description=public_text(report, "description", report["description"]) or "",
        agency_responsible=(report.get("routing") or {}).get("agency_name"),
        requested_datetime=w3_datetime(report["created_at"]),
        updated_datetime=w3_datetime(report["updated_at"]),
        expected_datetime=w3_datetime(report.get("due_resolve_at")) if is_open else None,
        address=(report.get("ward") or {}).get("name"),
        lat=public_lat,
        long=public_lng,
        media_url=media_url,
    )
