"""Triage queue queries: filters to an indexed MongoDB query, deadline or age order, cursor pages.

The database query holds only fields of one queue index (agency or the overdue flag, status,
creation and deadline bounds), so it is an index scan on MongoDB and on SecantusDB alike
(SecantusDB's planner scans the collection as soon as a field outside every index joins a
query, and is slow with hints). The remaining filters (category, ward, free text) are applied
while reading the index-ordered cursor. Sorting by the next deadline puts overdue reports on
top by construction.
"""

import base64
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from bson import ObjectId
from bson.errors import InvalidId

from api.domain import OPEN_STATUSES
from api.errors import BadRequest
from api.triage.workflow import next_deadline_field
from core.documents import Report

CODE_PATTERN = re.compile(r"^HN-\d{4}-\d{6}$")
HORIZON_MEMORY = timedelta(minutes=10)  # how long a queue's bound is tried before it is read in full again
HORIZON_MIN_SPAN = timedelta(minutes=1)  # a page of reports all due at once still gets some room
HORIZONS = 1024  # queues (filters) remembered per process


@dataclass(frozen=True)
class QueueFilters:
    agency: str | None = None
    status: str | None = None
    category: str | None = None
    ward: str | None = None
    overdue: bool | None = None
    created_from: date | None = None
    created_to: date | None = None
    q: str | None = None
    sort: Literal["due", "age"] = "due"


def encode_cursor(report: Report, sort: str) -> str:
    due = report.get("due_at")
    raw = {"id": str(report["_id"]), "due": due.isoformat() if (sort == "due" and due) else None}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


def decode_cursor(cursor: str) -> tuple[ObjectId, datetime | None]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return ObjectId(raw["id"]), datetime.fromisoformat(raw["due"]) if raw.get("due") else None
    except (ValueError, KeyError, TypeError, InvalidId) as exc:
        raise BadRequest("cursor_invalid") from exc


@dataclass(frozen=True)
class QueuePlan:
    query: dict[str, Any]  # index fields only
    sort: list[tuple[str, int]]
    refine: dict[str, Any]  # field -> wanted value, or a compiled pattern for free text
    after: tuple[datetime, ObjectId] | None  # deadline order: skip what the previous page showed

    def keep(self, report: Report) -> bool:
        if self.after is not None and (report["due_at"], report["_id"]) <= self.after:
            return False
        for field, wanted in self.refine.items():
            value = report.get("ward", {}).get("code") if field == "ward" else report.get(field)
            if isinstance(wanted, re.Pattern):
                if not wanted.search(value or ""):
                    return False
            elif value != wanted:
                return False
        return True

    def horizon_key(self) -> str | None:
        """The queue's name for ``QueueHorizons``, or None where a deadline bound cannot serve it:
        another order, a later page, or a status in which a report may have no deadline (a range
        on ``due_at`` would drop it, where the full read puts it first)."""
        status = self.query.get("status")
        if (
            self.sort[0][0] != "due_at"
            or "due_at" in self.query
            or not isinstance(status, str)
            or next_deadline_field(status) is None
        ):
            return None
        return repr((sorted(self.query.items()), sorted(self.refine.items())))


class QueueHorizons:
    """Per process: how far down the deadline order each queue's first page reached.

    SecantusDB reads, decodes and sorts every report a query matches before it applies the
    limit: a storm's queue of 300 assigned reports cost 42 ms of the database a read, and staff
    read it again after every few moves. A deadline range after the index's equalities is
    bounded by the index, so the next read of a queue first asks only for reports due before its
    last page's end plus that page's span. If that holds a full page, it is exactly the first
    page (every other report is due later); if not, the queue is read in full. The memory only
    chooses the cheaper read, never the answer, so each process keeping its own is harmless.
    """

    def __init__(self, size: int = HORIZONS) -> None:
        self._bounds: OrderedDict[str, tuple[datetime, datetime]] = OrderedDict()
        self._size = size

    def bound(self, key: str, now: datetime) -> datetime | None:
        seen = self._bounds.get(key)
        return seen[1] if seen is not None and now - seen[0] <= HORIZON_MEMORY else None

    def record(self, key: str, now: datetime, page: list[Report], wanted: int) -> None:
        """Remember the page just read (``wanted`` reports asked for): not when the queue is shorter."""
        self._bounds.pop(key, None)
        if len(page) < wanted:
            return  # the queue holds fewer than a page: the full read is already small
        first, last = page[0]["due_at"], page[-1]["due_at"]
        if first is None or last is None:
            return  # cannot happen in a deadline status (``horizon_key``); nothing to bound by
        self._bounds[key] = (now, last + max(last - first, HORIZON_MIN_SPAN))
        while len(self._bounds) > self._size:
            self._bounds.popitem(last=False)


_OBJECT_ID_TIMES = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2106, 2, 7, tzinfo=UTC))


def _first_id_of(day: date) -> ObjectId:
    """The smallest ObjectId of a day. ObjectIds count seconds from 1970 in 32 bits, so a date
    outside that span (a client's typo: year 0426) clamps to its ends instead of failing."""
    low, high = _OBJECT_ID_TIMES
    return ObjectId.from_datetime(min(max(datetime.combine(day, time(0), UTC), low), high))


def awaits_supervisor(report: Report) -> bool:
    """Still on a supervising body's list: open, or an appeal not yet decided."""
    appeal = report.get("appeal")
    return report["status"] in OPEN_STATUSES or (appeal is not None and appeal.get("outcome", "") is None)


def supervised_query(agency: str, cursor: str | None) -> dict[str, Any]:
    """Reports escalated or appealed to ``agency``, oldest first (index ``supervised``)."""
    query: dict[str, Any] = {"supervisors": agency}
    if cursor:
        query["_id"] = {"$gt": decode_cursor(cursor)[0]}
    return query


def build_query(filters: QueueFilters, cursor: str | None) -> QueuePlan:
    query: dict[str, Any] = {}
    refine: dict[str, Any] = {}
    after = None
    if filters.agency:
        query["agency"] = filters.agency
    elif filters.overdue:  # the city-wide escalation list: served by the (overdue, due_at) index
        query["overdue"] = True
    if filters.overdue is not None and "overdue" not in query:
        refine["overdue"] = filters.overdue
    if "overdue" not in query:
        query["status"] = filters.status if filters.status else {"$in": list(OPEN_STATUSES)}
    elif filters.status:
        refine["status"] = filters.status
    for field, value in (("category", filters.category), ("ward", filters.ward)):
        if value is not None:
            refine[field] = value
    if filters.q:
        text = filters.q.strip()
        if CODE_PATTERN.match(text.upper()):
            refine["code"] = text.upper()
        else:
            refine["description"] = re.compile(re.escape(text), re.IGNORECASE)
    id_range: dict[str, ObjectId] = {}
    if filters.created_from:
        id_range["$gte"] = _first_id_of(filters.created_from)
    if filters.created_to:
        id_range["$lt"] = _first_id_of(filters.created_to)
    if filters.sort == "due" or "overdue" in query:
        sort = [("due_at", 1), ("_id", 1)]
        if cursor:
            last_id, last_due = decode_cursor(cursor)
            if last_due is None:
                raise BadRequest("cursor_invalid")
            query["due_at"] = {"$gte": last_due}
            after = (last_due, last_id)
    else:
        sort = [("_id", 1)]
        if cursor:
            id_range["$gt"] = decode_cursor(cursor)[0]
    if id_range:
        query["_id"] = id_range
    return QueuePlan(query=query, sort=sort, refine=refine, after=after)
