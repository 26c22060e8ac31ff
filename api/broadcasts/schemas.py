"""Broadcast shapes (leaf module)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

Severity = Literal["info", "warning", "emergency"]
WardCode = Annotated[str, Field(pattern=r"^\d{5}$")]
WardList = Annotated[list[WardCode], Field(min_length=1, max_length=200)]


class Title(BaseModel):
    vi: str = Field(min_length=1, max_length=120)
    en: str | None = Field(None, min_length=1, max_length=120, description="Unset: English phones get the Vietnamese")


class Body(BaseModel):
    vi: str = Field(min_length=1, max_length=1000)
    en: str | None = Field(None, min_length=1, max_length=1000)


class BroadcastIn(BaseModel):
    wards: WardList | Literal["all"] = Field(
        description='Ward codes (5 digits), or "all" for the whole city', examples=[["00070", "00076"], "all"]
    )
    title: Title
    body: Body
    severity: Severity


class BroadcastOut(BaseModel):
    id: str
    wards: list[str] | Literal["all"]
    title: Title
    body: Body
    severity: Severity
    created_at: datetime


class BroadcastPage(BaseModel):
    items: list[BroadcastOut]
    next_cursor: str | None
