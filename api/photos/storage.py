"""Where processed photos live: a small interface, and its GridFS implementation.

GridFS keeps the laptop and test set-up to one database; a city with millions of photos
will want an object store, which only has to implement ``PhotoStore``. Files are written
``pending`` before their report exists and marked ``committed`` after the report's
transaction; GridFS cannot join a transaction, so ``sweep_orphans`` removes pending files
whose report never appeared (a crash mid-upload), and intake deletes them itself on error.

Staff attachments (proof of resolution) are stored ``unattached`` (``committed`` holds that
word) until a status change or note uses them; staff who may work the report see them
meanwhile, nobody else does, and the sweep deletes those never used.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bson import Binary, ObjectId
from gridfs import DEFAULT_CHUNK_SIZE as CHUNK_SIZE
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from core.db import utc_now

BUCKET = "photos"
VARIANTS = ("display", "thumbnail", "public", "public_thumbnail")  # public*: the redacted copies
UNATTACHED = "unattached"  # the ``committed`` state of a staff attachment not yet used


@dataclass(frozen=True)
class StoredPhoto:
    photo_id: str
    variant: str
    report_id: str
    content_type: str
    data: bytes
    uploaded_at: datetime
    attached: bool = True  # False: a staff attachment no status change or note uses yet


@dataclass(frozen=True)
class PhotoFile:
    """One variant of one photo, to store."""

    photo_id: str
    variant: str
    data: bytes


@dataclass(frozen=True)
class PendingAttachment:
    photo_id: str
    report_id: str


class PhotoStore(Protocol):
    async def put(
        self, files: list[PhotoFile], *, report_id: str, content_type: str, attachment: bool = False
    ) -> None: ...
    async def get(self, photo_id: str, variant: str) -> StoredPhoto | None: ...
    async def unattached(self, photo_id: str) -> PendingAttachment | None: ...
    async def attach(self, photo_ids: list[str]) -> None: ...
    async def unattached_before(self, uploaded_before: datetime) -> list[PendingAttachment]: ...
    async def discard_photo(self, photo_id: str) -> None: ...
    async def commit(self, report_id: str) -> None: ...
    async def discard(self, report_id: str) -> None: ...
    async def pending_report_ids(self, uploaded_before: datetime) -> list[str]: ...
    async def available(self, photo_ids: list[str], variant: str) -> set[str]: ...


def _file_id(photo_id: str, variant: str) -> str:
    return f"{photo_id}:{variant}"


class GridFSPhotoStore:
    """PhotoStore over MongoDB GridFS (bucket ``photos``)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)
        self._files = db[f"{BUCKET}.files"]
        self._chunks = db[f"{BUCKET}.chunks"]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        files, chunks = db[f"{BUCKET}.files"], db[f"{BUCKET}.chunks"]
        await chunks.create_index([("files_id", 1), ("n", 1)], unique=True)
        await files.create_index([("filename", 1), ("uploadDate", 1)])
        await files.create_index([("metadata.report_id", 1)])
        await files.create_index([("metadata.committed", 1), ("uploadDate", 1)])

    async def put(self, files: list[PhotoFile], *, report_id: str, content_type: str, attachment: bool = False) -> None:
        """Write the GridFS documents directly: every chunk first, then the file documents (as GridFS
        does, so a file document never names a missing chunk), each kind in one command.

        PyMongo's upload stream checks for the bucket's indexes before every upload (a
        ``find_one`` on each collection, 36 ms on the chunks collection under a storm on
        SecantusDB); ``ensure_indexes`` creates them at start-up. One command per kind rather than
        per variant: a photo report's two variants cost the database two commands, not four.
        The result is an ordinary GridFS file: downloads, deletes and the sweep use the bucket.
        """
        if not files:
            return
        chunks = [
            {
                "_id": ObjectId(),
                "files_id": _file_id(f.photo_id, f.variant),
                "n": n,
                "data": Binary(f.data[start : start + CHUNK_SIZE]),
            }
            for f in files
            for n, start in enumerate(range(0, max(len(f.data), 1), CHUNK_SIZE))
        ]
        await self._chunks.insert_many(chunks)
        uploaded = utc_now()
        await self._files.insert_many(
            [
                {
                    "_id": _file_id(f.photo_id, f.variant),
                    "length": len(f.data),
                    "chunkSize": CHUNK_SIZE,
                    "uploadDate": uploaded,
                    "filename": f"{f.photo_id}.jpg",
                    "metadata": {
                        "report_id": report_id,
                        "photo_id": f.photo_id,
                        "variant": f.variant,
                        "content_type": content_type,
                        "committed": UNATTACHED if attachment else False,
                    },
                }
                for f in files
            ]
        )

    async def get(self, photo_id: str, variant: str) -> StoredPhoto | None:
        try:
            stream = await self._bucket.open_download_stream(_file_id(photo_id, variant))
        except NoFile:
            return None
        meta = stream.metadata or {}
        if meta.get("committed") not in (True, UNATTACHED):
            return None
        return StoredPhoto(
            photo_id=photo_id,
            variant=variant,
            report_id=meta["report_id"],
            content_type=meta.get("content_type", "image/jpeg"),
            data=await stream.read(),
            uploaded_at=stream.upload_date,
            attached=meta["committed"] is True,
        )

    async def unattached(self, photo_id: str) -> PendingAttachment | None:
        """The staff attachment ``photo_id`` if it exists and nothing uses it yet."""
        doc = await self._files.find_one({"_id": _file_id(photo_id, "display")}, {"metadata": 1})
        meta = (doc or {}).get("metadata") or {}
        return PendingAttachment(photo_id, meta["report_id"]) if meta.get("committed") == UNATTACHED else None

    async def attach(self, photo_ids: list[str]) -> None:
        ids = [_file_id(photo_id, variant) for photo_id in photo_ids for variant in VARIANTS]
        await self._files.update_many({"_id": {"$in": ids}}, {"$set": {"metadata.committed": True}})

    async def unattached_before(self, uploaded_before: datetime) -> list[PendingAttachment]:
        cursor = self._files.find(
            {"metadata.committed": UNATTACHED, "uploadDate": {"$lt": uploaded_before}}, {"metadata": 1}
        ).limit(1000)
        found = {doc["metadata"]["photo_id"]: doc["metadata"]["report_id"] async for doc in cursor}
        return [PendingAttachment(photo_id, report_id) for photo_id, report_id in sorted(found.items())]

    async def discard_photo(self, photo_id: str) -> None:
        for variant in VARIANTS:
            try:
                await self._bucket.delete(_file_id(photo_id, variant))
            except NoFile:
                pass

    async def commit(self, report_id: str) -> None:
        await self._files.update_many({"metadata.report_id": report_id}, {"$set": {"metadata.committed": True}})

    async def discard(self, report_id: str) -> None:
        async for doc in self._files.find({"metadata.report_id": report_id}, {"_id": 1}):
            try:
                await self._bucket.delete(doc["_id"])
            except NoFile:
                pass

    async def available(self, photo_ids: list[str], variant: str) -> set[str]:
        """Which of these photos have a committed ``variant`` (one query on ``_id``, not a download)."""
        if not photo_ids:
            return set()
        query = {"_id": {"$in": [_file_id(p, variant) for p in photo_ids]}, "metadata.committed": True}
        return {doc["metadata"]["photo_id"] async for doc in self._files.find(query, {"metadata.photo_id": 1})}

    async def pending_report_ids(self, uploaded_before: datetime) -> list[str]:
        cursor = self._files.find(
            {"metadata.committed": False, "uploadDate": {"$lt": uploaded_before}}, {"metadata.report_id": 1}
        ).limit(1000)
        return sorted({doc["metadata"]["report_id"] async for doc in cursor})
