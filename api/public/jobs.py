"""The worker's public-view jobs: the redacted copies of shared photos, after the report commits.

Intake stays cheap in a storm: the face detector runs here, in a worker thread, from the
change log's ``public_photos`` records (written in the report's transaction only for public
reports whose author shared photos), never in the request.
"""

import logging
from typing import Final

import anyio
from pymongo.errors import DuplicateKeyError

from api.changelog.documents import ChangeRecord, PhotosToCopy
from api.photos.service import PhotoService
from api.public.redaction import public_copy
from api.public.rules import PUBLIC_VARIANTS, public_photo_ids
from core.changes import ReportChange

log = logging.getLogger(__name__)
CONSUMER: Final = "public_photos"


def public_photos_payload(change: ReportChange) -> PhotosToCopy | None:
    """Photos to redact: those of a new public report whose author shared them."""
    if change.kind != "received":
        return None
    photos = public_photo_ids(change.after)
    return {"photos": photos} if photos else None


class PublicPhotoCopies:
    def __init__(self, photos: PhotoService) -> None:
        self._photos = photos

    async def make(self, records: list[ChangeRecord]) -> None:
        """Idempotent: a copy already made is skipped (a crash between copy and mark repeats the batch)."""
        for record in records:
            part = record[CONSUMER]
            if part is None:  # the log makes a record pending for us only with our part: never
                continue
            photo_ids = part["photos"]
            done = await self._photos.available(photo_ids, PUBLIC_VARIANTS["thumbnail"])
            for photo_id in photo_ids:
                stored = None if photo_id in done else await self._photos.get(photo_id, "display")
                if stored is None:  # already made, or the photo is gone
                    continue
                copy = await anyio.to_thread.run_sync(public_copy, stored.data)
                try:  # the thumbnail last: the nearby map shows a photo once its thumbnail exists
                    await self._photos.add_variants(
                        stored.report_id,
                        photo_id,
                        {PUBLIC_VARIANTS["display"]: copy.display, PUBLIC_VARIANTS["thumbnail"]: copy.thumbnail},
                    )
                except DuplicateKeyError:  # half made by a worker that died: left unshown, not retried
                    log.warning("public copy of photo %s was half made earlier; not shown", photo_id)
                    continue
                log.info("public copy of photo %s: %d face(s) blurred", photo_id, copy.faces)
