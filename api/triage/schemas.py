"""Request and response shapes of the triage API (leaf module)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.reports.schemas import AttachmentOut

AttachmentId = Annotated[str, Field(max_length=64)]


class StatusChange(BaseModel):
    status: str = Field(max_length=32)
    public_note: str | None = Field(None, max_length=4000, description="Shown to the resident")
    internal_note: str | None = Field(None, max_length=4000, description="Never shown to residents")
    attachments: list[AttachmentId] = Field(
        default_factory=list,
        max_length=5,
        description="Ids from POST .../attachments, not used before (shown to the author)",
    )
    reason_code: str | None = Field(
        None, max_length=64, description="Required to reject: GET /v1/triage/rejection-reasons"
    )
    redirect: str | None = Field(
        None,
        max_length=64,
        description="Rejecting: where to turn instead (an agency code, "
        "ward:<ward code> or a channel code); required for not_in_remit",
    )


class Reassignment(BaseModel):
    agency: str = Field(
        max_length=64, description="An agency code, or ward:<ward code> for a ward's People's Committee"
    )
    reason: str = Field(min_length=1, max_length=1000)


class Recategorisation(BaseModel):
    category: str = Field(max_length=64)
    reason: str = Field(min_length=1, max_length=1000)


class PriorityChange(BaseModel):
    priority: Literal["urgent", "normal"]
    reason: str = Field(min_length=1, max_length=1000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    public: bool = Field(False, description="true: a public reply the resident sees; false: an internal note")
    attachments: list[AttachmentId] = Field(
        default_factory=list,
        max_length=5,
        description="Ids from POST .../attachments; seen by the author only on a public reply",
    )


class AttachmentsOut(BaseModel):
    attachments: list[AttachmentOut]


class ReplyTemplateOut(BaseModel):
    key: str
    category: str = Field(description="A category code, or * for every category")
    status: str
    vi: str
    en: str
    rendered: dict[str, str] | None = Field(None, description="With report_id: vi and en with the placeholders filled")


class ReplyTemplates(BaseModel):
    placeholders: dict[str, str]
    templates: list[ReplyTemplateOut]


class RejectionReasonOut(BaseModel):
    code: str
    name: str
    redirect: Literal["required", "optional", "none"]


class RejectionReasons(BaseModel):
    reasons: list[RejectionReasonOut]
    channels: dict[str, str] = Field(description="Channel codes a redirect may name besides agency codes")


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
    overdue_by_s: int | None = Field(None, description="How long past its due date, when overdue")
    created_at: datetime
    escalation_level: int = Field(0, description="Levels up the supervision chain (0: not escalated)")
    escalated_to: str | None = Field(None, description="The body it was last escalated to")
    appeal_due_at: datetime | None = Field(None, description="An appeal waiting for the supervising body's decision")
    location: dict[str, float] | None = Field(None, description="lat and lng, for staff maps")
    suggestions: list[dict[str, Any]] = Field(
        default_factory=list, description="The model's top categories (triage queue)"
    )


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


class QueueCounts(BaseModel):
    agency: str | None = Field(description="The agency counted; null: the whole city")
    statuses: dict[str, int] = Field(description="Open reports per status")
    overdue: int = Field(description="Open reports past their due date")
