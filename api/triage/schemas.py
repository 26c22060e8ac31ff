"""Request and response shapes of the triage API (leaf module)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class StatusChange(BaseModel):
    status: str = Field(max_length=32)
    public_note: str | None = Field(None, max_length=4000, description="Shown to the resident")
    internal_note: str | None = Field(None, max_length=4000, description="Never shown to residents")


class QueueItem(BaseModel):
    id: str
    code: str
    status: str
    description: str
    category: str | None
    agency: str | None
    ward: dict[str, str] | None
    priority: str | None
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    suggestions: list[dict[str, Any]] = Field(default_factory=list, description="The model's top categories (triage queue)")


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None
