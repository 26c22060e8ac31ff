"""Device registration shapes (leaf module)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class DeviceRegistration(BaseModel):
    token: str = Field(
        min_length=20,
        max_length=4096,
        pattern=r"^[A-Za-z0-9_:\-\.]+$",
        description="FCM registration token of the app installation",
    )
    platform: Literal["android", "ios", "web"]
    locale: Literal["vi", "en"] = "vi"
    ward: str | None = Field(None, pattern=r"^\d{5}$", description="Ward code for storm warnings (optional)")


class DeviceOut(BaseModel):
    platform: str
    locale: str
    ward: str | None
    registered_at: datetime
