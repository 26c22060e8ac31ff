"""Request shapes of the triage API (leaf module)."""

from pydantic import BaseModel, Field


class StatusChange(BaseModel):
    status: str = Field(max_length=32)
    public_note: str | None = Field(None, max_length=4000, description="Shown to the resident")
    internal_note: str | None = Field(None, max_length=4000, description="Never shown to residents")
