"""Request and response shapes of the reports API (a leaf module: no project imports)."""

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

_ALLOWED_CONTROLS = {"\n", "\t", "\r"}


def _clean_text(value: Any) -> Any:
    """NFC-normalise and trim, so 'ổ gà' typed on two keyboards is stored the same way."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
        raise PydanticCustomError("control_characters", "contains control characters")
    return value


def _empty_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


CleanText = Annotated[str, BeforeValidator(_clean_text)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class ReportSubmission(BaseModel):
    """The text fields of a new report, after the multipart form is parsed.

    Unknown fields are ignored rather than refused: the photo parts share the form, and
    older apps must keep working when a newer API adds optional fields.
    """

    description: Annotated[CleanText, Field(min_length=1, max_length=4000)]
    lat: Latitude
    lng: Longitude
    accuracy_m: Annotated[
        float | None, BeforeValidator(_empty_to_none), Field(ge=0, le=100_000, allow_inf_nan=False)
    ] = None
    address: Annotated[CleanText | None, BeforeValidator(_empty_to_none), Field(max_length=300)] = None
    category: Annotated[str | None, BeforeValidator(_empty_to_none), Field(max_length=64)] = None
    visibility: Literal["public", "private"] = Field(
        "public", description="private: only the author and the staff who handle it ever see the report"
    )
    photos_public: bool = Field(
        False, description="Let other residents see the photos (faces blurred); public reports only"
    )


class Location(BaseModel):
    lat: float
    lng: float
    accuracy_m: float | None = None


class WardOut(BaseModel):
    code: str
    name: str


class PhotoOut(BaseModel):
    id: str
    url: str
    thumbnail_url: str
    width: int
    height: int


class PhotoLinkOut(BaseModel):
    id: str
    url: str
    thumbnail_url: str


class AttachmentOut(PhotoLinkOut):
    kind: Literal["photo"] = "photo"


class StatusEntryOut(BaseModel):
    status: str
    at: datetime
    note: str | None = None
    photos: list[PhotoLinkOut] = Field([], description="Photos staff attached to this status change")


class ResolutionOut(BaseModel):
    """How the report was resolved: the after-photos next to the resident's own (before)."""

    note: str | None = None
    photos: list[PhotoLinkOut] = []
    at: datetime


class RedirectOut(BaseModel):
    code: str = Field(description="An agency code, ward:<ward code>, or a channel code")
    kind: Literal["agency", "channel"]
    name: str


class RejectionOut(BaseModel):
    reason_code: str
    reason: str = Field(description="The reason, in the caller's language")
    redirect: RedirectOut | None = Field(None, description="Where to turn instead")
    note: str | None = None
    at: datetime


class RoutingOut(BaseModel):
    agency: str
    agency_name: str | None = None
    category: str | None = Field(None, description="The category the report was routed under; null while in triage.")
    ward: WardOut | None = None


class ReplyOut(BaseModel):
    at: datetime
    text: str
    photos: list[PhotoLinkOut] = []


class RatingOut(BaseModel):
    stars: int
    comment: str | None = None
    at: datetime


class AppealOut(BaseModel):
    """The author's appeal (after a rejection or a 1-2 star rating) and, once decided, its outcome."""

    reason: str
    at: datetime
    to: str = Field(description="The supervising body deciding it (agency code)")
    due_at: datetime = Field(description="When the supervising body should have decided")
    outcome: Literal["upheld", "overturned"] | None = Field(None, description="null while pending")
    note: str | None = Field(None, description="The supervising body's answer to the author")
    decided_at: datetime | None = None


class EscalationOut(BaseModel):
    level: int
    to: str = Field(description="The supervising body it went up to (agency code)")
    at: datetime
    stage: Literal["acknowledge", "resolve"] = Field(description="Which deadline was missed")
    due_at: datetime | None = None


class MergedIntoOut(BaseModel):
    id: str
    code: str


class PossibleDuplicateOut(BaseModel):
    """An open report nearby, same category: shown so the app can offer "follow it instead"."""

    id: str
    code: str
    status: str
    category: str
    description: str = Field(description="The first 140 characters")
    similarity: float
    created_at: datetime


class ReportOut(BaseModel):
    id: str
    code: str
    status: str
    description: str
    category: str | None = Field(None, description="The category the resident picked, if any.")
    location: Location
    address: str | None = None
    ward: WardOut | None = None
    photos: list[PhotoOut] = []
    status_history: Sequence[StatusEntryOut] = []  # staff views hold the richer StaffStatusEntryOut
    routing: RoutingOut | None = None
    replies: list[ReplyOut] = Field([], description="Public replies from the handling agency")
    rating: RatingOut | None = None
    merged_into: MergedIntoOut | None = Field(None, description="Closed as a duplicate of this report")
    resolved_at: datetime | None = None
    appeal: AppealOut | None = None
    resolution: ResolutionOut | None = Field(
        None, description="While resolved or closed: the resolving note and photos"
    )
    rejection: RejectionOut | None = Field(None, description="When rejected: the reason and where to turn instead")
    possible_duplicates: list[PossibleDuplicateOut] | None = Field(
        None, description="Only in the response to POST /v1/reports: open reports this one may repeat"
    )
    visibility: Literal["public", "private"] = "public"
    photos_public: bool = False
    created_at: datetime
    updated_at: datetime


class StaffStatusEntryOut(StatusEntryOut):
    by_role: str | None = None
    by_uid: str | None = Field(None, description="Staff actors; a resident's uid only for triage officers and admins.")
    internal_note: str | None = None


class InternalNoteOut(BaseModel):
    at: datetime
    by_role: str
    by_uid: str | None = None
    text: str
    photos: list[PhotoLinkOut] = []


class ClassificationOut(BaseModel):
    category: str
    confidence: float
    top_k: list[dict[str, Any]] = []
    model_version: str | None = None


class StaffReportOut(ReportOut):
    """What staff see: routing internals and the full history; the resident's identity only for triage."""

    resident_uid: str | None = None
    agency: str | None = None
    classification: ClassificationOut | None = None
    priority: str | None = None
    due_acknowledge_at: datetime | None = None
    due_resolve_at: datetime | None = None
    overdue: bool = False
    escalation_level: int = Field(0, description="How many levels up the supervision chain it went (0: none)")
    escalations: list[EscalationOut] = []
    status_history: Sequence[StaffStatusEntryOut] = []
    internal_notes: list[InternalNoteOut] = []
    public_hidden: dict[str, Any] | None = Field(None, description="Parts staff hid from public views")
    version: int


class ReportSummary(BaseModel):
    id: str
    code: str
    status: str
    description: str
    ward: WardOut | None = None
    thumbnail_url: str | None = None
    created_at: datetime


class ReportPage(BaseModel):
    items: list[ReportSummary]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= to get the next page; null on the last page.")


class AgencyOut(BaseModel):
    code: str
    name: str


class CategoryOut(BaseModel):
    code: str
    name: str
    name_vi: str
    name_en: str
    agency: AgencyOut
    routing: str
