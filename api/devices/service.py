"""Device rules: a token belongs to the last resident who registered it; at most N per resident.

Registering, moving ward or language, and removing a device also changes its FCM topic
subscriptions (ward storm warnings); those changes are queued in the outbox in the same
transaction as the device record.
"""

from typing import Any

from pymongo import AsyncMongoClient

from api.devices.repository import DeviceRepository
from api.devices.schemas import DeviceOut, DeviceRegistration
from api.errors import NotFound
from core.db import run_in_transaction, utc_now
from core.documents import Device
from notifications.topics import TopicSubscriptions

MAX_DEVICES_PER_RESIDENT = 10


class DeviceService:
    def __init__(
        self,
        client: AsyncMongoClient,
        repo: DeviceRepository,
        topics: TopicSubscriptions,
        max_devices: int = MAX_DEVICES_PER_RESIDENT,
    ) -> None:
        self._client = client
        self._repo = repo
        self._topics = topics
        self._max_devices = max_devices

    async def register(self, uid: str, registration: DeviceRegistration) -> DeviceOut:
        """A phone that changes hands (or accounts) follows the newest sign-in; oldest extras drop off."""
        now = utc_now()
        device: Device = {
            "_id": registration.token,
            "resident_uid": uid,
            "platform": registration.platform,
            "locale": registration.locale,
            "ward": registration.ward,
            "registered_at": now,
        }

        async def write(session: Any) -> None:
            before = await self._repo.upsert(
                registration.token, uid, registration.platform, registration.locale, registration.ward, now, session
            )
            await self._topics.device_changed(registration.token, before, device, now, session)
            stale = await self._repo.beyond(uid, self._max_devices, session)
            if stale:
                await self._repo.delete([d["_id"] for d in stale], uid, session)
                for dropped in stale:
                    await self._topics.device_changed(dropped["_id"], dropped, None, now, session)

        await run_in_transaction(self._client, write)
        return DeviceOut(
            platform=registration.platform, locale=registration.locale, ward=registration.ward, registered_at=now
        )

    async def unregister(self, uid: str, token: str) -> None:
        """Only the owner can remove a token; any other token is 404 (it reveals nothing)."""
        now = utc_now()

        async def write(session: Any) -> bool:
            device = await self._repo.get(token, session)
            if device is None or device["resident_uid"] != uid:
                return False
            await self._repo.delete([token], uid, session)
            await self._topics.device_changed(token, device, None, now, session)
            return True

        if not await run_in_transaction(self._client, write):
            raise NotFound("device_not_found")
