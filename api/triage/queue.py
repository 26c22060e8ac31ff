"""Triage queue queries: filters to an indexed MongoDB query, deadline or age order, cursor pages.

Every query leads with status (and agency when scoped), the prefix of the queue indexes, so
the other filters narrow an index scan instead of forcing a collection scan. Sorting by the
next deadline puts overdue reports on top by construction.
"""

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from bson import ObjectId
from bson.errors import InvalidId

from api.errors import AppError
from api.triage.workflow import OPEN_STATUSES

CODE_PATTERN = re.compile(r"^HN-\d{4}-\d{6}$")


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


def encode_cursor(report: dict[str, Any], sort: str) -> str:
    due = report.get("due_at")
    raw = {"id": str(report["_id"]), "due": due.isoformat() if (sort == "due" and due) else None}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


def decode_cursor(cursor: str) -> tuple[ObjectId, datetime | None]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return ObjectId(raw["id"]), datetime.fromisoformat(raw["due"]) if raw.get("due") else None
    except (ValueError, KeyError, TypeError, InvalidId) as exc:
        raise AppError(400, "cursor_invalid") from exc


@dataclass(frozen=True)
class QueuePlan:
    query: dict[str, Any]
    sort: list[tuple[str, int]]
    index: str  # the queue index (see ReportRepository.ensure_indexes) that serves this order and scope
    after: tuple[datetime, ObjectId] | None  # deadline order: drop what the previous page showed

    def trim(self, reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.after is None:
            return reports
        last_due, last_id = self.after
        return [r for r in reports if (r["due_at"], r["_id"]) > (last_due, last_id)]


def build_query(filters: QueueFilters, cursor: str | None) -> QueuePlan:
    query: dict[str, Any] = {}
    after = None
    if filters.agency:
        query["agency"] = filters.agency
    query["status"] = filters.status if filters.status else {"$in": list(OPEN_STATUSES)}
    for field, value in (("category", filters.category), ("ward.code", filters.ward), ("overdue", filters.overdue)):
        if value is not None:
            query[field] = value
    id_range: dict[str, ObjectId] = {}
    if filters.created_from:
        id_range["$gte"] = ObjectId.from_datetime(datetime.combine(filters.created_from, time(0), UTC))
    if filters.created_to:
        id_range["$lt"] = ObjectId.from_datetime(datetime.combine(filters.created_to, time(0), UTC))
    if filters.q:
        text = filters.q.strip()
        if CODE_PATTERN.match(text.upper()):
            query["code"] = text.upper()
        else:  # substring of the description, applied to the index-selected reports only
            query["description"] = {"$regex": re.escape(text), "$options": "i"}
    if filters.sort == "due":
        sort = [("due_at", 1), ("_id", 1)]
        if cursor:
            last_id, last_due = decode_cursor(cursor)
            if last_due is None:
                raise AppError(400, "cursor_invalid")
            query["due_at"] = {"$gte": last_due}
            after = (last_due, last_id)
    else:
        sort = [("_id", 1)]
        if cursor:
            id_range["$gt"] = decode_cursor(cursor)[0]
    if id_range:
        query["_id"] = id_range
    index = f"queue_{'agency' if filters.agency else 'city'}_{filters.sort}"
    return QueuePlan(query=query, sort=sort, index=index, after=after)
