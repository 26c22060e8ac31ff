"""What the push side asks of the service, as protocols: who receives a report's push, and how
a photo becomes a link a phone may fetch.

The dispatcher depends on these shapes, not on the service's feature packages, so that
``notifications`` imports only ``core`` and the service plugs its repositories in when it
builds a worker (``api/worker.py``). Any object with these methods will do; the service's
``DeviceRepository``, ``FollowerRepository`` and ``PhotoUrlSigner`` are the real ones.
"""

from datetime import datetime
from typing import Protocol

from bson import ObjectId

from core.documents import Device


class DeviceDirectory(Protocol):
    """The residents' registered phones."""

    async def for_residents(self, uids: list[str]) -> list[Device]:
        """Every device (``_id`` = FCM token, ``resident_uid``, ``locale``) of these residents."""
        ...

    async def delete(self, tokens: list[str]) -> int:
        """Forget tokens FCM called dead; returns how many were removed."""
        ...


class FollowerDirectory(Protocol):
    """Residents who follow reports they did not write (a duplicate's author, a "me too")."""

    async def for_reports(self, report_ids: list[ObjectId]) -> dict[ObjectId, list[tuple[str, datetime]]]:
        """(uid, following since) per report."""
        ...


class ImageLinks(Protocol):
    """Signed, expiring links to a photo's thumbnail for a push's image."""

    def url(self, photo_id: str, now: datetime) -> str | None:
        """The absolute link, or None when the service has no public address."""
        ...
