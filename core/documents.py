"""The shapes of the documents stored in the ``reports`` and ``devices`` collections.

A report is read and written by a dozen features and by the push side (a ``ReportChange``
carries it), so its fields are spelt out once, here, and mypy checks every ``report["..."]``
against them. These describe documents as stored; they change nothing that is stored.

Fields every report has had since intake are required; those a later change adds (notes, a
resolution, an appeal, escalations...) are ``NotRequired``: read them with ``.get``. Values
are plain strings where a StrEnum exists (``status``, ``by_role``): a document read back from
MongoDB holds ``str``, not the enum. Keys that are Python keywords (``from``) need the
functional ``TypedDict`` syntax. A leaf module: it imports nothing of the project.
"""

from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from bson import ObjectId


class GeoPoint(TypedDict):
    """GeoJSON: ``coordinates`` is [lng, lat]."""

    type: Literal["Point"]
    coordinates: list[float]


class WardRef(TypedDict):
    code: str
    name: str


class PhotoRef(TypedDict):
    """A photo kept on the report (its display variant's size; the files are in the photo store)."""

    id: str
    width: int
    height: int


class Labels(TypedDict):
    """A label kept in both languages, so a reader gets theirs even if the table changes later."""

    vi: str
    en: str


class CategoryScore(TypedDict):
    category: str
    confidence: float


class Classification(TypedDict):
    """What the model said at intake."""

    category: str
    confidence: float
    top_k: list[CategoryScore]
    model_version: str


class Routing(TypedDict):
    """Where the report was sent and why (``suggestions``: the model's top picks when it was unsure)."""

    agency: str | None
    agency_name: str | None
    category: str | None
    reason: str
    ward: NotRequired[WardRef]  # set at intake; a reroute keeps it
    suggestions: list[CategoryScore]


class ReportPointer(TypedDict):
    id: str
    code: str


"""Another report, by id and code (``merged_into``)."""


StatusEntry = TypedDict(
    "StatusEntry",
    {
        "status": str,
        "at": datetime,
        "by_uid": str | None,  # None: the system
        "by_role": str,
        "public_note": str | None,
        "internal_note": str | None,
        "from": NotRequired[str],  # every entry after intake's
        # deadlines in force when it happened (on-time statistics are replayed from these)
        "due_acknowledge_at": NotRequired[datetime | None],
        "due_resolve_at": NotRequired[datetime | None],
        # a reroute (or an overturned appeal): what the report moved from and to
        "agency": NotRequired[str],
        "category": NotRequired[str | None],
        "from_agency": NotRequired[str | None],
        "from_category": NotRequired[str | None],
        "appeal": NotRequired[str],  # "overturned": the entry an appeal's decision made
        "attachments": NotRequired[list[str]],  # staff photos on this change
        "reason_code": NotRequired[str],  # a rejection's
        "redirect": NotRequired[str | None],
        "merged_into": NotRequired[ReportPointer],
    },
)
"""One entry of ``status_history``: a status the report moved to, who moved it and why."""


class Note(TypedDict):
    """A staff note: a public reply to the author or an internal note."""

    at: datetime
    by_uid: str
    by_role: str
    text: str
    visibility: Literal["public", "internal"]
    attachments: NotRequired[list[str]]


class Resolution(TypedDict):
    """The proof of a resolution, for the author's before/after view."""

    note: str | None
    photos: list[str]
    at: datetime


class Redirect(TypedDict):
    """Where a rejected report should go instead (an agency or another channel)."""

    code: str
    kind: Literal["channel", "agency"]
    name: Labels


class RejectionCause(TypedDict):
    """A reason from ``rejection_reasons.json`` (and where to go instead), as the rejection keeps it."""

    reason_code: str
    reason: Labels
    redirect: Redirect | None


class Rejection(RejectionCause):
    note: str | None
    at: datetime


class Rating(TypedDict):
    stars: int
    comment: str | None
    at: datetime


class Appeal(TypedDict):
    """The author's appeal and, once decided (``outcome``), the decision."""

    reason: str
    at: datetime
    by_uid: str
    grounds: str
    to: str  # the supervising body
    due_at: datetime
    from_agency: str | None
    outcome: str | None
    note: str | None
    decided_at: datetime | None
    decided_by_uid: str | None
    decided_by_role: NotRequired[str]


EscalationEntry = TypedDict(
    "EscalationEntry",
    {"level": int, "to": str, "from": str, "at": datetime, "stage": str, "due_at": datetime | None},
)
"""One step up the supervision chain (``escalations``)."""


class PublicHidden(TypedDict, total=False):
    """What staff hid from every public view."""

    description: bool
    replies: bool
    photos: list[str]


class Deadlines(TypedDict):
    """Priority and due dates, fixed when the report is routed (recomputed on reassignment)."""

    priority: str
    overdue: bool
    due_at: datetime | None  # the deadline the queue sorts by (None once closed)
    due_acknowledge_at: datetime
    due_resolve_at: datetime


class Report(Deadlines):
    """A document of the ``reports`` collection."""

    _id: ObjectId
    code: str
    resident_uid: str
    description: str
    category_hint: str | None
    location: GeoPoint
    geo_cell: int
    area_cell: int
    visibility: Literal["public", "private"]
    photos_public: bool
    accuracy_m: float | None
    address: str | None
    ward: WardRef
    photos: list[PhotoRef]
    status: str
    status_history: list[StatusEntry]
    category: str | None
    agency: str | None
    classification: Classification
    routing: Routing
    created_at: datetime
    updated_at: datetime
    version: int
    # set by later changes
    notes: NotRequired[list[Note]]
    attachment_ids: NotRequired[list[str]]  # staff photos some change used
    resolution: NotRequired[Resolution | None]
    rejection: NotRequired[Rejection | None]
    resolved_at: NotRequired[datetime | None]
    resolved_open_since: NotRequired[datetime | None]  # the auto-close clock
    reopened_at: NotRequired[datetime]
    closed_at: NotRequired[datetime]
    rating: NotRequired[Rating]
    merged_into: NotRequired[ReportPointer]
    appeal: NotRequired[Appeal]
    supervisors: NotRequired[list[str]]  # bodies it was escalated or appealed to
    escalation_level: NotRequired[int]
    escalated_to: NotRequired[str]
    escalated_at: NotRequired[datetime]
    escalate_at: NotRequired[datetime | None]  # the escalation clock
    escalations: NotRequired[list[EscalationEntry]]
    overdue_marked_at: NotRequired[datetime]
    overdue_marks: NotRequired[list[datetime]]
    public_hidden: NotRequired[PublicHidden]


class ReportPush(TypedDict, total=False):
    """What a change appends to a report's lists (``$push``): one item each."""

    status_history: StatusEntry
    notes: Note
    escalations: EscalationEntry
    overdue_marks: datetime


class Device(TypedDict):
    """A document of the ``devices`` collection: one registered phone (``_id``: its FCM token)."""

    _id: str
    resident_uid: str
    platform: str
    locale: str
    ward: str | None
    registered_at: datetime
