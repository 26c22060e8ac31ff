"""Photo rules: process uploads off the event loop, store both variants, sweep what was never used."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import anyio
from bson import ObjectId

from api.errors import AppError
from api.photos.processing import OUTPUT_CONTENT_TYPE, PhotoLimits, PhotoRejected, ProcessedPhoto, process_photo
from api.photos.storage import PendingAttachment, PhotoFile, PhotoStore, StoredPhoto
from core.db import TransactionWrites
from core.documents import PhotoRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawUpload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class NewPhotos:
    """Processed photos with their ids: the refs their report keeps, and the variants to store."""

    refs: list[PhotoRef]
    files: list[PhotoFile]

    @classmethod
    def of(cls, photos: list[ProcessedPhoto]) -> "NewPhotos":
        refs: list[PhotoRef] = []
        files: list[PhotoFile] = []
        for photo in photos:
            photo_id = str(ObjectId())
            files += [PhotoFile(photo_id, "display", photo.display), PhotoFile(photo_id, "thumbnail", photo.thumbnail)]
            refs.append({"id": photo_id, "width": photo.display_size[0], "height": photo.display_size[1]})
        return cls(refs, files)


class PhotoService:
    def __init__(self, store: PhotoStore, limits: PhotoLimits, limiter: anyio.CapacityLimiter) -> None:
        self._store = store
        self._limits = limits
        self._limiter = limiter  # CPU-bound: at most one Pillow job per core at a time

    async def process(self, uploads: list[RawUpload]) -> list[ProcessedPhoto]:
        processed = []
        for upload in uploads:
            try:
                processed.append(
                    await anyio.to_thread.run_sync(
                        process_photo, upload.data, upload.filename, self._limits, limiter=self._limiter
                    )
                )
            except PhotoRejected as exc:
                raise AppError(exc.status, exc.key, **exc.params) from exc
        return processed

    def write_with_report(self, report_id: str, photos: NewPhotos, writes: TransactionWrites) -> None:
        """A new report's photos, written by its transaction."""
        self._store.stage(photos.files, report_id=report_id, content_type=OUTPUT_CONTENT_TYPE, writes=writes)

    async def save_attachments(self, report_id: str, photos: list[ProcessedPhoto]) -> list[PhotoRef]:
        """Store staff photos as attachments no change uses yet; their refs."""
        new = NewPhotos.of(photos)
        await self._store.put(new.files, report_id=report_id, content_type=OUTPUT_CONTENT_TYPE, attachment=True)
        return new.refs

    async def get(self, photo_id: str, variant: str) -> StoredPhoto | None:
        return await self._store.get(photo_id, variant)

    async def unattached(self, photo_id: str) -> PendingAttachment | None:
        return await self._store.unattached(photo_id)

    async def attach(self, photo_ids: list[str]) -> None:
        """After the report change that uses them has committed (the sweep finishes it after a crash)."""
        if photo_ids:
            await self._store.attach(photo_ids)

    async def sweep_attachments(
        self, uploaded_before: datetime, used_by_report: Callable[[str], Awaitable[set[str]]]
    ) -> int:
        """Attach the staff uploads a committed change uses (a crash between the two); delete the others."""
        removed = 0
        for pending in await self._store.unattached_before(uploaded_before):
            if pending.photo_id in await used_by_report(pending.report_id):
                await self._store.attach([pending.photo_id])
            else:
                await self._store.discard_photo(pending.photo_id)
                removed += 1
        if removed:
            log.info("removed %d staff attachment(s) never used", removed)
        return removed

    async def available(self, photo_ids: list[str], variant: str) -> set[str]:
        return await self._store.available(photo_ids, variant)

    async def add_variants(self, report_id: str, photo_id: str, variants: dict[str, bytes]) -> None:
        """Extra variants of a committed photo (the redacted public copies), committed at once."""
        files = [PhotoFile(photo_id, variant, data) for variant, data in variants.items()]
        await self._store.put(files, report_id=report_id, content_type=OUTPUT_CONTENT_TYPE)

    async def sweep_orphans(self, uploaded_before: datetime, report_exists: Callable[[str], Awaitable[bool]]) -> int:
        """Commit pending photos whose report exists; delete those whose report never came.

        Only versions before 2026-11-30 wrote photos pending (now a report's transaction writes
        them); this settles what such a version left when it crashed mid-upload."""
        removed = 0
        for report_id in await self._store.pending_report_ids(uploaded_before):
            if await report_exists(report_id):
                await self._store.commit(report_id)
            else:
                await self._store.discard(report_id)
                removed += 1
        if removed:
            log.warning("removed the photos of %d report(s) that were never written", removed)
        return removed
