"""Request and response shapes of area subscriptions (a leaf module)."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

MAX_RADIUS_M = 1000


class SubscriptionIn(BaseModel):
    """Either a ward (``{"ward": "00070"}``) or a circle (``{"lat", "lng", "radius_m"}``), not both."""

    ward: Annotated[str | None, Field(pattern=r"^\d{5}$")] = None
    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False)] = None
    lng: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False)] = None
    radius_m: Annotated[float | None, Field(gt=0, le=MAX_RADIUS_M, allow_inf_nan=False)] = None

    @model_validator(mode="after")
    def _one_area(self) -> Self:
        circle = [value is not None for value in (self.lat, self.lng, self.radius_m)]
        if not ((self.ward is not None and not any(circle)) or (self.ward is None and all(circle))):
            raise ValueError("give a ward, or lat, lng and radius_m")
        return self

    def circle(self) -> tuple[float, float, float]:
        """(lat, lng, radius_m) of a circle area (the validator guarantees all three when no ward)."""
        if self.lat is None or self.lng is None or self.radius_m is None:
            raise ValueError("not a circle area")
        return self.lat, self.lng, self.radius_m


class SubscriptionOut(BaseModel):
    id: str
    ward: str | None = None
    ward_name: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_m: float | None = None
    created_at: datetime


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]
