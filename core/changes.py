"""Report changes, published inside the transaction that makes them.

Some features must move in lockstep with every report write: the notification outbox (no
change without its push, no push without its change) and the statistics rollups (counts
that always equal the raw reports). Rather than every service calling each of them, every
report write publishes one ``ReportChange`` in its transaction, and those features listen.
A listener adds its documents to the transaction's ``TransactionWrites``, so they commit or
abort with the report, and reach the server in the same command as the report's own.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from core.db import TransactionWrites
from core.documents import Report

ChangeKind = Literal[
    "received",  # intake (auto-routed reports arrive already ``assigned``)
    "status",  # a staff, resident or system status change (incl. reopen, auto-close)
    "reroute",  # reassigned to another agency or recategorised
    "merge",  # closed as a duplicate of another report
    "reply",  # a public note for the author
    "rating",  # the author rated the handling
    "overdue",  # the current deadline passed
    "priority",  # priority and due dates changed
    "escalation",  # a missed deadline sent the report one level up the supervision chain
    "appeal",  # the author appealed, or the supervising body decided the appeal
]


@dataclass(frozen=True)
class ReportChange:
    """One committed-together change: the report before (None at intake) and after it."""

    kind: ChangeKind
    before: Report | None
    after: Report
    at: datetime
    public_note: str | None = None


class ReportChangeListener(Protocol):
    async def on_report_change(self, change: ReportChange, writes: TransactionWrites) -> None: ...


class ReportChanges:
    """The listeners of one process, called in order inside the report's transaction."""

    def __init__(self, listeners: Sequence[ReportChangeListener] = ()) -> None:
        self._listeners = tuple(listeners)

    async def publish(self, change: ReportChange, writes: TransactionWrites) -> None:
        for listener in self._listeners:
            await listener.on_report_change(change, writes)
