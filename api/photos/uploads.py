"""Reading multipart photo parts: bounded, so a huge part is refused before it is all in memory."""

from fastapi import UploadFile

from api.errors import PayloadTooLarge
from api.photos.service import RawUpload


async def read_upload(upload: UploadFile, max_bytes: int) -> RawUpload:
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            "photo_too_large", filename=(upload.filename or "photo")[:100], limit_mb=max_bytes // (1024 * 1024)
        )
    return RawUpload(filename=upload.filename or "photo", data=data)
