"""The shape of a ``report_changes`` document: one record per report change, with each
consumer's part (what that consumer needs to know of the change, taken inside its transaction).

The parts are defined here, next to the record, rather than in each consumer's package: the
change log stays a leaf that imports no consumer, and the record's whole shape is in one place.
A leaf module: it imports nothing of the project but ``core``.
"""

from datetime import datetime
from typing import NotRequired, TypedDict

from bson import ObjectId

from core.changes import ChangeKind


class StatisticsState(TypedDict):
    """What the counters know of a report at one moment (``api.stats.metrics.State``, stored).
    Always written whole; records written before a field existed lack it (``NotRequired``)."""

    status: str
    agency: str
    category: str
    ward: str
    created_at: datetime
    acknowledged: bool
    due_acknowledge_at: NotRequired[datetime | None]
    due_resolve_at: NotRequired[datetime | None]
    escalation_level: NotRequired[int]
    appeal: NotRequired[str | None]
    proof: NotRequired[bool]
    rejection_reason: NotRequired[str | None]


class StatsChange(TypedDict):
    """The ``stats`` part: the report's state before (None at intake) and after, and a rating's stars."""

    before: StatisticsState | None
    after: StatisticsState
    stars: int | None


class PhotosToCopy(TypedDict):
    """The ``public_photos`` part: photos of a new public report to make redacted public copies of."""

    photos: list[str]


class ResolvedInArea(TypedDict):
    """The ``subscriptions`` part: a public report resolved, and where (for area digests)."""

    code: str
    author: str
    ward: str | None
    area_cell: int | None
    lat: float
    lng: float


class ChangeRecord(TypedDict):
    """A document of ``report_changes``. A part is None when the change does not concern that
    consumer; a record is pending for a consumer while its ``<consumer>_due`` exists."""

    _id: ObjectId
    report_id: ObjectId
    kind: ChangeKind
    at: datetime
    stats: StatsChange  # every change counts
    public_photos: PhotosToCopy | None
    subscriptions: ResolvedInArea | None
    stats_due: NotRequired[datetime]
    public_photos_due: NotRequired[datetime]
    subscriptions_due: NotRequired[datetime]
    stats_applied_at: NotRequired[datetime]
    public_photos_applied_at: NotRequired[datetime]
    subscriptions_applied_at: NotRequired[datetime]
    expires_at: NotRequired[datetime]  # once applied by every consumer it concerns (retention)
