"""Inspecting and re-driving outbox events. Views leave out tokens and resident ids."""

from bson import ObjectId
from bson.errors import InvalidId

from api.admin.schemas import OutboxEventOut, OutboxPage, OutboxState
from api.errors import AppError, NotFound
from core.db import utc_now
from notifications.documents import OutboxEvent
from notifications.outbox import OutboxRepository


def _view(doc: OutboxEvent) -> OutboxEventOut:
    return OutboxEventOut(
        id=str(doc["_id"]),
        kind=doc["kind"],
        event=doc.get("event") or doc.get("severity"),
        state=doc["state"],
        attempts=doc.get("attempts", 0),
        last_error=doc.get("last_error"),
        report_code=doc.get("code"),
        failed_targets=len(doc.get("remaining") or []),
        created_at=doc["created_at"],
        sent_at=doc.get("sent_at"),
        died_at=doc.get("died_at"),
    )


def _object_id(raw: str | None, key: str, status: int) -> ObjectId | None:
    try:
        return ObjectId(raw) if raw else None
    except (InvalidId, TypeError) as exc:
        raise AppError(status, key) from exc


class OutboxAdmin:
    def __init__(self, outbox: OutboxRepository) -> None:
        self._outbox = outbox

    async def list(self, state: OutboxState, cursor: str | None, limit: int) -> OutboxPage:
        docs = await self._outbox.list_by_state(state, _object_id(cursor, "cursor_invalid", 400), limit + 1)
        page = docs[:limit]
        return OutboxPage(
            items=[_view(d) for d in page], next_cursor=str(page[-1]["_id"]) if len(docs) > limit else None
        )

    async def redrive(self, event_id: str) -> OutboxEventOut:
        """A dead event is queued again with a fresh attempt budget (e.g. after fixing credentials)."""
        event = _object_id(event_id, "outbox_event_not_found", 404)
        doc = await self._outbox.redrive(event, utc_now()) if event is not None else None
        if doc is None:
            raise NotFound("outbox_event_not_found")
        return _view(doc)
