"""Writes one change-log record per report change, inside the change's own transaction."""

from collections.abc import Callable, Mapping

from api.changelog.repository import ChangeLogRepository
from core.changes import ReportChange
from core.db import TransactionWrites

Payload = Callable[[ReportChange], Mapping[str, object] | None]  # None: nothing for that consumer (documents.py)


class ChangeLogListener:
    """Each consumer of the log (``stats``) contributes what it needs to know of the change.

    The record is a new document of its own: nothing another report's transaction also writes.
    """

    def __init__(self, repo: ChangeLogRepository, payloads: Mapping[str, Payload]) -> None:
        self._repo = repo
        self._payloads = dict(payloads)

    async def on_report_change(self, change: ReportChange, writes: TransactionWrites) -> None:
        record = {
            "report_id": change.after["_id"],
            "kind": change.kind,
            "at": change.at,
            **{consumer: payload(change) for consumer, payload in self._payloads.items()},
        }
        self._repo.append(record, writes)
