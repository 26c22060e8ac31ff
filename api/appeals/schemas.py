"""Request shapes of the appeals API (leaf module)."""

from typing import Literal

from pydantic import BaseModel, Field


class AppealIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the outcome is wrong, for the supervising body")


class AppealDecision(BaseModel):
    outcome: Literal["upheld", "overturned"] = Field(
        description="upheld: the outcome stands; overturned: the report is handed to an agency again"
    )
    note: str = Field(min_length=1, max_length=4000, description="The answer sent to the author")
    agency: str | None = Field(
        None,
        max_length=64,
        description="overturned only: hand it to this agency (code or ward:<code>) instead of the one that handled it",
    )
