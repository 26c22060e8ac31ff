"""Where processed photos live: a small interface, and its GridFS implementation.

GridFS keeps the laptop and test set-up to one database; a city with millions of photos
will want an object store, which only has to implement ``PhotoStore``. A report's photos are
written by the report's own transaction (``stage``: their GridFS documents are plain inserts,
which a transaction takes although PyMongo's GridFS upload stream cannot join one), so they
exist exactly when the report does. Versions before 2026-11-30 stored them ``pending`` first
and marked them ``committed`` after the transaction; ``sweep_orphans`` still settles files such
a version left pending.

Staff attachments (proof of resolution) are stored ``unattached`` (``committed`` holds that
word) until a status change or note uses them; staff who may work the report see them
meanwhile, nobody else does, and the sweep deletes those never used.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bson import Binary, ObjectId
from gridfs import DEFAULT_CHUNK_SIZE as CHUNK_SIZE
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from core.db import TransactionWrites, utc_now

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
    def stage(
        self, files: list[PhotoFile], *, report_id: str, content_type: str, writes: TransactionWrites
    ) -> None: ...
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


def _gridfs_documents(
    files: list[PhotoFile], report_id: str, content_type: str, committed: bool | str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The GridFS chunk and file documents of these variants (what the bucket's upload writes)."""
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
    uploaded = utc_now()
    documents = [
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
                "committed": committed,
            },
        }
        for f in files
    ]
    return chunks, documents


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

    def stage(self, files: list[PhotoFile], *, report_id: str, content_type: str, writes: TransactionWrites) -> None:
        """A new report's photos, committed by the report's transaction: they exist exactly when it
        does. Before, they were stored pending ahead of the transaction and marked committed after
        it: three commands, 3.6 ms of SecantusDB's ~52 ms of CPU per report in a storm, and a crash
        between them left files for the sweep to settle."""
        chunks, documents = _gridfs_documents(files, report_id, content_type, committed=True)
        for chunk in chunks:
            writes.insert(self._chunks, chunk)
        for document in documents:
            writes.insert(self._files, document)

    async def put(self, files: list[PhotoFile], *, report_id: str, content_type: str, attachment: bool = False) -> None:
        """Store variants for a report that exists: committed at once, or (``attachment``) as a staff
        attachment no change uses yet. Every chunk first, then the file documents (as GridFS does,
        so a file document never names a missing chunk), each kind in one command.

        PyMongo's upload stream checks for the bucket's indexes before every upload (a
        ``find_one`` on each collection, 36 ms on the chunks collection under a storm on
        SecantusDB); ``ensure_indexes`` creates them at start-up. The result is an ordinary
        GridFS file: downloads, deletes and the sweeps use the bucket.
        """
        if not files:
            return
        chunks, documents = _gridfs_documents(files, report_id, content_type, UNATTACHED if attachment else True)
        await self._chunks.insert_many(chunks)
        await self._files.insert_many(documents)

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
