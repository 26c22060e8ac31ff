"""The shape of a document of the ``outbox`` collection: what its cause writes, and the envelope
the outbox adds (state, lease, attempts, retention).

Four kinds of cause write events, with fields of their own (``kind`` tells which): a report's
news (``report``), a device's topic changes (``topics``), an area digest (``digest``) and a ward
broadcast (``broadcast``). One ``TypedDict`` with each kind's fields ``NotRequired`` rather than
a union of four: the envelope would have to be merged into each, and the dispatcher reads the
kind's fields after checking ``kind`` in ways mypy does not narrow (comprehensions, lambdas).
mypy still checks every field name and value type. A leaf module: it imports only ``core.documents``.
"""

from datetime import datetime
from typing import Literal, NotRequired, Required, TypedDict

from bson import ObjectId

from core.documents import Labels

EventState = Literal["pending", "leased", "sent", "dead"]  # "leased": only events of releases before partitions
EventKind = Literal["report", "topics", "digest", "broadcast"]


class BroadcastText(TypedDict):
    vi: str
    en: str | None  # None: English phones get the Vietnamese


class DigestItem(TypedDict):
    report_id: ObjectId
    code: str


class ReportOutcome(TypedDict, total=False):
    """What a report's news says of its outcome: a resolution's first photo (signed into a link when
    sent) or a rejection's reason and redirect (the device's language is picked when sent)."""

    image_photo_id: str
    reason: Labels
    redirect: Labels | None


class EventFields(ReportOutcome, total=False):
    """What a cause enqueues (``OutboxRepository.enqueue``)."""

    kind: Required[EventKind]
    order_key: str | None  # events of one key are delivered one at a time, in ``seq`` order
    seq: int
    # report: the resident's news of their (or a followed) report
    event: str  # received, routed, in_progress, resolved, rejected, merged, reply, appeal_<outcome>
    report_id: ObjectId
    code: str
    status: str
    resident_uid: str  # also the digest's resident
    agency_name: str | None
    note: str | None
    merged_into: str | None  # the code of the report it was merged into
    # topics: a device's FCM topic subscriptions to change
    token: str
    changes: list[tuple[str, bool]]  # (topic, subscribe); read back from MongoDB as lists
    # digest: resolved public reports in the resident's areas
    reports: list[DigestItem]
    # broadcast: a warning to wards' topics
    broadcast_id: ObjectId
    wards: list[str] | Literal["all"]
    title: BroadcastText
    body: BroadcastText
    severity: str


class OutboxEvent(EventFields):
    """A document of the ``outbox`` collection: the cause's fields and the outbox's envelope."""

    _id: ObjectId
    state: EventState
    created_at: datetime
    attempts: int
    request_id: str | None  # of the request that caused it, for the delivery's log line
    claimable_at: NotRequired[datetime]  # only while undelivered
    partition: NotRequired[int]  # which dispatcher sends it (notifications.partitions); set at enqueue
    tried_at: NotRequired[datetime]  # the last failed attempt
    remaining: NotRequired[list[str]]  # a retry's targets: those that failed last time
    pushed: NotRequired[int]
    last_error: NotRequired[str | None]
    sent_at: NotRequired[datetime]
    died_at: NotRequired[datetime]
    redriven_at: NotRequired[datetime]
    expires_at: NotRequired[datetime]
