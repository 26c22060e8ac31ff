"""Periodic housekeeping inside the API process: removing photos whose report never came."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pymongo.errors import PyMongoError

from api.photos.service import PhotoService
from api.reports.service import ReportService

log = logging.getLogger(__name__)


async def sweep_orphan_photos(photos: PhotoService, reports: ReportService, grace_s: int) -> int:
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_s)
    return await photos.sweep_orphans(cutoff, reports.exists)


async def maintenance_loop(photos: PhotoService, reports: ReportService, grace_s: int) -> None:
    """Sweep at start-up (a previous process may have died mid-upload), then every grace/2."""
    while True:
        try:
            await sweep_orphan_photos(photos, reports, grace_s)
        except PyMongoError as exc:
            log.warning("orphan photo sweep skipped: %s", exc)
        await asyncio.sleep(max(5, grace_s // 2))
