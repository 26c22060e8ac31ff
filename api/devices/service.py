"""Device rules: a token belongs to the last resident who registered it; at most N per resident."""

from api.db import utc_now
from api.devices.repository import DeviceRepository
from api.devices.schemas import DeviceOut, DeviceRegistration
from api.errors import AppError

MAX_DEVICES_PER_RESIDENT = 10


class DeviceService:
    def __init__(self, repo: DeviceRepository, max_devices: int = MAX_DEVICES_PER_RESIDENT) -> None:
        self._repo = repo
        self._max_devices = max_devices

    async def register(self, uid: str, registration: DeviceRegistration) -> DeviceOut:
        """A phone that changes hands (or accounts) follows the newest sign-in; oldest extras drop off."""
        now = utc_now()
        await self._repo.upsert(registration.token, uid, registration.platform, registration.locale, registration.ward, now)
        stale = await self._repo.tokens_beyond(uid, self._max_devices)
        if stale:
            await self._repo.delete(stale, uid)
        return DeviceOut(platform=registration.platform, locale=registration.locale, ward=registration.ward, registered_at=now)

    async def unregister(self, uid: str, token: str) -> None:
        """Only the owner can remove a token; any other token is 404 (it reveals nothing)."""
        if not await self._repo.delete([token], uid):
            raise AppError(404, "device_not_found")
