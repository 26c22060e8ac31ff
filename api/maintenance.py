"""Periodic housekeeping inside the API process: removing photos whose report never came."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pymongo.errors import PyMongoError

from api.photos.service import PhotoService
from api.reports.service import ReportService

log = logging.getLogger(__name__)


class Maintenance:
    def __init__(self, photos: PhotoService, reports: ReportService, grace_s: int) -> None:
        self._photos = photos
        self._reports = reports
        self.grace_s = grace_s

    async def sweep_orphan_photos(self, grace_s: int | None = None) -> int:
        """Photos pending longer than the grace period belong to a request that died."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.grace_s if grace_s is None else grace_s)
        return await self._photos.sweep_orphans(cutoff, self._reports.exists)

    async def run_forever(self) -> None:
        """Sweep at start-up (a previous process may have died mid-upload), then every grace/2."""
        while True:
            try:
                await self.sweep_orphan_photos()
            except PyMongoError as exc:
                log.warning("orphan photo sweep skipped: %s", exc)
            await asyncio.sleep(max(5, self.grace_s // 2))
