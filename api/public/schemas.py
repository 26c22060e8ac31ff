"""Request and response shapes of the public views (a leaf module: no project imports)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PublicPosition(BaseModel):
    lat: float = Field(description="Centre of the ~50 m grid cell holding the report, never the exact fix")
    lng: float


class PublicWard(BaseModel):
    code: str
    name: str


class NearbyCard(BaseModel):
    """A public report as other residents see it: nothing that names or locates its author."""

    id: str = Field(description="For POST /v1/reports/{id}/follow")
    code: str
    category: str | None = None
    status: str
    ward: PublicWard | None = None
    description: str | None = Field(
        None, description="Masked (phones, e-mails, ID numbers, plates); null if hidden by staff"
    )
    position: PublicPosition
    created_at: datetime
    age_s: int = Field(description="Seconds since it was filed")
    followers: int
    following: bool = Field(description="Whether the caller follows it")
    latest_reply: str | None = Field(None, description="The agency's latest public reply or note, masked")
    thumbnail_url: str | None = Field(
        None, description="The public copy (faces blurred), when the author shared photos"
    )


class NearbyPage(BaseModel):
    items: list[NearbyCard]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for older reports; null on the last page.")


class PublicViewChange(BaseModel):
    """Staff hide (or show again) a part of a report's public view."""

    part: Literal["description", "replies", "photo"]
    photo_id: str | None = Field(None, max_length=24, description="With part=photo: which photo")
    hidden: bool = True
    reason: str = Field(min_length=1, max_length=500)
