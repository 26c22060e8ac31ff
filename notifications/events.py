"""Which report changes residents hear about, as outbox events (the outbox's report listener).

Residents hear that their report was received (and where it was sent), routed, taken up,
resolved, rejected or merged, of public replies, and of the decision on their appeal. Internal moves (priority, overdue
flags, notes, ratings, the system closing a resolved report) make no push.
"""

from core.changes import ReportChange
from core.db import TransactionWrites
from core.documents import Report
from notifications.documents import EventFields, ReportOutcome
from notifications.outbox import OutboxRepository

STATUS_EVENTS = {"assigned": "routed", "in_progress": "in_progress", "resolved": "resolved", "rejected": "rejected"}
NOTE_LIMIT = 300  # a push is a glance; the app shows the whole note


def report_event(change: ReportChange) -> EventFields | None:
    """The outbox event for a change, or None when the resident need not hear about it."""
    after = change.after
    event: str | None
    if change.kind == "received":
        event = "received"
    elif change.kind == "status":
        event = STATUS_EVENTS.get(after["status"])
    elif change.kind == "reroute":
        event = "routed"
    elif change.kind == "appeal":  # filing one is the author's own act: only the decision is news
        appeal = after.get("appeal")
        outcome = appeal.get("outcome") if appeal else None
        event = f"appeal_{outcome}" if outcome else None
    else:
        event = {"merge": "merged", "reply": "reply"}.get(change.kind)
    if event is None:
        return None
    routing = after.get("routing") or {}
    note = (change.public_note or "").strip()[:NOTE_LIMIT] or None
    merged_into = after.get("merged_into")
    return {
        **_outcome(event, after),
        "kind": "report",
        "event": event,
        "order_key": f"report:{after['_id']}",
        "seq": after.get("version", 1),
        "report_id": after["_id"],
        "code": after["code"],
        "status": after["status"],
        "resident_uid": after["resident_uid"],
        "agency_name": routing.get("agency_name") if after.get("agency") else None,
        "note": note,
        "merged_into": merged_into.get("code") if merged_into else None,
    }


def _outcome(event: str, after: Report) -> ReportOutcome:
    """A resolution's first photo (signed into a link when sent: links expire, events wait) and a
    rejection's reason and redirect, in both languages (the device's is picked when sent)."""
    resolution, rejection = after.get("resolution"), after.get("rejection")
    if event == "resolved" and resolution and resolution.get("photos"):
        return {"image_photo_id": resolution["photos"][0]}
    if event == "rejected" and rejection:
        redirect = rejection.get("redirect")
        return {"reason": rejection["reason"], "redirect": redirect["name"] if redirect else None}
    return {}


class OutboxListener:
    """Writes a report's push event in the transaction of the change itself."""

    def __init__(self, outbox: OutboxRepository) -> None:
        self._outbox = outbox

    async def on_report_change(self, change: ReportChange, writes: TransactionWrites) -> None:
        event = report_event(change)
        if event is not None:
            self._outbox.enqueue_with(writes, event, change.at)
