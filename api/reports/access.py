"""Who may see a report, loading it or answering 404, and how it looks to each role.

Kept apart from intake: triage, duplicates, feedback and photos only need "may this person
see this report, and what do they see", not the ~13 collaborators that filing one takes.
Whoever may not see a report gets the same 404 as for one that does not exist, so ids
reveal nothing.
"""

from collections.abc import Mapping
from typing import Annotated, Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import Depends

from api.auth import CurrentPrincipal, Principal
from api.deps import DatabaseDep
from api.domain import CITY_WIDE_ROLES, STAFF_ROLES, TRIAGE_ROLES, Role
from api.errors import Forbidden, NotFound
from api.reports.repository import ReportRepository
from api.reports.schemas import (
    AppealOut,
    EscalationOut,
    InternalNoteOut,
    Location,
    PhotoLinkOut,
    PhotoOut,
    RedirectOut,
    RejectionOut,
    ReplyOut,
    ReportOut,
    ResolutionOut,
    StaffReportOut,
    StaffStatusEntryOut,
    StatusEntryOut,
    WardOut,
)
from core.documents import PhotoRef, Report


class ReportNotFound(NotFound, key="report_not_found"):
    """Also for a report the caller may not see."""


def parse_report_id(raw: str) -> ObjectId:
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError) as exc:
        raise ReportNotFound() from exc


def can_handle(principal: Principal, report: Mapping[str, Any]) -> bool:
    """City-wide roles and the staff of the agency handling it (its workflow is theirs)."""
    return principal.role in CITY_WIDE_ROLES or (
        principal.role == Role.AGENCY_STAFF and report.get("agency") == principal.agency
    )


def supervises(principal: Principal, report: Mapping[str, Any]) -> bool:
    """Staff of a body the report was escalated or appealed to (``supervisors``)."""
    return principal.role == Role.AGENCY_STAFF and principal.agency in report.get("supervisors", ())


def can_see(principal: Principal, report: Mapping[str, Any]) -> bool:
    """City-wide roles see everything; agency staff their agency's reports and those escalated or
    appealed to them; residents their own. Also asked of projected reports (duplicate candidates)."""
    if principal.role in STAFF_ROLES:
        return can_handle(principal, report) or supervises(principal, report)
    return report["resident_uid"] == principal.uid


async def load_visible(repo: ReportRepository, principal: Principal, report_id: ObjectId) -> Report:
    """The report if this caller may see it; otherwise 404."""
    report = await repo.get(report_id)
    if report is None or not can_see(principal, report):
        raise ReportNotFound()
    return report


async def load_handled(repo: ReportRepository, principal: Principal, report_id: ObjectId) -> Report:
    """The report if this caller handles it. A supervising body may reassign, reprioritise and
    write notes (``load_visible``) but not move the handling agency's workflow: 403."""
    report = await load_visible(repo, principal, report_id)
    if not can_handle(principal, report):
        raise Forbidden()
    return report


async def load_own(repo: ReportRepository, principal: Principal, report_id: ObjectId) -> Report:
    """The report if this caller filed it (rating, reopening: the author's acts, whatever their role)."""
    report = await repo.get(report_id)
    if report is None or report["resident_uid"] != principal.uid:
        raise ReportNotFound()
    return report


async def visible_report(report_id: str, principal: CurrentPrincipal, db: DatabaseDep) -> Report:
    return await load_visible(ReportRepository(db), principal, parse_report_id(report_id))


VisibleReport = Annotated[Report, Depends(visible_report)]
"""The ``{report_id}`` of the path, loaded, if the caller may see it; 404 otherwise."""


def etag(report: Report) -> str:
    return f'"v{report.get("version", 1)}"'


def photo_urls(photo_id: str) -> tuple[str, str]:
    return f"/v1/photos/{photo_id}", f"/v1/photos/{photo_id}/thumbnail"


def public_photo_ids(report: Report) -> set[str]:
    """The photos the author may see: their own, and those staff attached to a status change or a
    public reply (attachments of internal notes stay with the staff)."""
    ids = {p["id"] for p in report.get("photos", [])}
    ids.update(i for e in report.get("status_history", []) for i in e.get("attachments", []))
    ids.update(i for n in report.get("notes", []) if n["visibility"] == "public" for i in n.get("attachments", []))
    return ids


def _links(photo_ids: list[str] | None) -> list[PhotoLinkOut]:
    return [PhotoLinkOut(id=i, url=photo_urls(i)[0], thumbnail_url=photo_urls(i)[1]) for i in photo_ids or []]


def _resolution(report: Report) -> ResolutionOut | None:
    resolution = report.get("resolution")
    if not resolution:
        return None
    return ResolutionOut(note=resolution.get("note"), photos=_links(resolution.get("photos")), at=resolution["at"])


def _rejection(report: Report, locale: str) -> RejectionOut | None:
    """Labels were stored in both languages when it happened: the reader's is picked."""
    rejection = report.get("rejection")
    if not rejection:
        return None
    redirect = rejection.get("redirect")
    return RejectionOut(
        reason_code=rejection["reason_code"],
        reason=rejection["reason"].get(locale) or rejection["reason"]["vi"],
        note=rejection.get("note"),
        at=rejection["at"],
        redirect=None
        if not redirect
        else RedirectOut(
            code=redirect["code"], kind=redirect["kind"], name=redirect["name"].get(locale) or redirect["name"]["vi"]
        ),
    )


def view(report: Report, principal: Principal, locale: str = "vi") -> ReportOut:
    """The report as this caller may see it: staff get the working view, residents the public one."""
    public = public_view(report, locale)
    return staff_view(public, report, principal) if principal.is_staff else public


def public_view(report: Report, locale: str = "vi") -> ReportOut:
    """The author's view: their exact location, the public history, no staff identities."""
    lng, lat = report["location"]["coordinates"]
    return ReportOut(
        id=str(report["_id"]),
        code=report["code"],
        status=report["status"],
        description=report["description"],
        category=report.get("category_hint"),
        location=Location(lat=lat, lng=lng, accuracy_m=report.get("accuracy_m")),
        address=report.get("address"),
        ward=WardOut(**report["ward"]) if report.get("ward") else None,
        photos=[_photo_out(p) for p in report.get("photos", [])],
        status_history=[
            StatusEntryOut(
                status=e["status"], at=e["at"], note=e.get("public_note"), photos=_links(e.get("attachments"))
            )
            for e in report.get("status_history", [])
        ],
        routing=report.get("routing"),
        replies=[
            ReplyOut(at=n["at"], text=n["text"], photos=_links(n.get("attachments")))
            for n in report.get("notes", [])
            if n["visibility"] == "public"
        ],
        rating=report.get("rating"),
        merged_into=report.get("merged_into"),
        resolved_at=report.get("resolved_at"),
        appeal=AppealOut(**report["appeal"]) if report.get("appeal") else None,
        resolution=_resolution(report),
        rejection=_rejection(report, locale),
        visibility=report.get("visibility", "public"),
        photos_public=report.get("photos_public", False),
        created_at=report["created_at"],
        updated_at=report["updated_at"],
    )


def staff_view(public: ReportOut, report: Report, principal: Principal) -> StaffReportOut:
    """Like Huế's Hue-S: the handling agency never learns who reported; triage officers do."""
    sees_resident = principal.role in TRIAGE_ROLES
    history = [
        StaffStatusEntryOut(
            status=e["status"],
            at=e["at"],
            note=e.get("public_note"),
            by_role=e.get("by_role"),
            by_uid=e.get("by_uid") if (e.get("by_role") != Role.RESIDENT or sees_resident) else None,
            internal_note=e.get("internal_note"),
            photos=_links(e.get("attachments")),
        )
        for e in report.get("status_history", [])
    ]
    return StaffReportOut(
        **public.model_dump(exclude={"status_history"}),
        status_history=history,
        resident_uid=report["resident_uid"] if sees_resident else None,
        agency=report.get("agency"),
        classification=report.get("classification"),
        priority=report.get("priority"),
        due_acknowledge_at=report.get("due_acknowledge_at"),
        due_resolve_at=report.get("due_resolve_at"),
        overdue=report.get("overdue", False),
        escalation_level=report.get("escalation_level", 0),
        escalations=[EscalationOut(**e) for e in report.get("escalations", [])],
        internal_notes=[
            InternalNoteOut(
                at=n["at"],
                by_role=n["by_role"],
                by_uid=n["by_uid"],
                text=n["text"],
                photos=_links(n.get("attachments")),
            )
            for n in report.get("notes", [])
            if n["visibility"] == "internal"
        ],
        public_hidden=report.get("public_hidden"),
        version=report.get("version", 1),
    )


def _photo_out(ref: PhotoRef) -> PhotoOut:
    url, thumbnail_url = photo_urls(ref["id"])
    return PhotoOut(id=ref["id"], url=url, thumbnail_url=thumbnail_url, width=ref["width"], height=ref["height"])
