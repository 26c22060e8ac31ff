"""Outbox views for admins (leaf module)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

OutboxState = Literal["pending", "leased", "sent", "dead"]  # "leased": events of releases before partitions


class OutboxEventOut(BaseModel):
    id: str
    kind: str
    event: str | None
    state: OutboxState
    attempts: int
    last_error: str | None
    report_code: str | None
    failed_targets: int
    created_at: datetime
    sent_at: datetime | None
    died_at: datetime | None


class OutboxPage(BaseModel):
    items: list[OutboxEventOut]
    next_cursor: str | None
