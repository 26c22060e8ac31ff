"""GET a photo or its thumbnail: visible to whoever may see its report, cached by clients.

Residents see their own photos and the photos staff made public (a resolution's, a public
reply's); staff attachments that no change uses yet, only staff who may work the report.
A thumbnail may also be fetched without a token through a signed link (``signing.py``): that
is what a push notification's image points at.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import CurrentPrincipal, Principal, current_principal
from api.deps import DatabaseDep, PhotoServiceDep
from api.errors import ERRORS, AppError, NotFound
from api.photos.service import PhotoService
from api.photos.storage import StoredPhoto
from api.reports.access import load_visible, parse_report_id, public_photo_ids
from api.reports.repository import ReportRepository
from api.state import state_of
from core.db import utc_now

router = APIRouter(prefix="/v1", tags=["photos"])

# Stored photos never change (a new photo gets a new id), so clients may keep them a year;
# "private" keeps shared caches from serving a resident's photo to someone else.
CACHE_CONTROL = "private, max-age=31536000, immutable"
SIGNED_LINK_ERRORS = {
    **ERRORS,
    410: {"description": "The signed link expired", "content": {"application/problem+json": {}}},
}


async def _stored(photo_id: str, variant: str, photos: PhotoService) -> StoredPhoto:
    if len(photo_id) != 24 or not all(c in "0123456789abcdef" for c in photo_id):
        raise NotFound("photo_not_found")
    stored = await photos.get(photo_id, variant)
    if stored is None:
        raise NotFound("photo_not_found")
    return stored


async def _check_visible(stored: StoredPhoto, principal: Principal, db) -> None:
    try:
        report = await load_visible(ReportRepository(db), principal, parse_report_id(stored.report_id))
    except AppError as exc:
        raise NotFound("photo_not_found") from exc
    if not (principal.is_staff or (stored.attached and stored.photo_id in public_photo_ids(report))):
        raise NotFound("photo_not_found")


def _response(request: Request, stored: StoredPhoto) -> Response:
    etag = f'"{stored.photo_id}-{stored.variant}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(stored.data, media_type=stored.content_type, headers=headers)


@router.get(
    "/photos/{photo_id}",
    responses={200: {"content": {"image/jpeg": {}}}, **ERRORS},
    response_class=Response,
    summary="A report photo (display size, metadata stripped)",
)
async def get_photo(
    photo_id: str, request: Request, principal: CurrentPrincipal, photos: PhotoServiceDep, db: DatabaseDep
) -> Response:
    stored = await _stored(photo_id, "display", photos)
    await _check_visible(stored, principal, db)
    return _response(request, stored)


@router.get(
    "/photos/{photo_id}/thumbnail",
    responses={200: {"content": {"image/jpeg": {}}}, **SIGNED_LINK_ERRORS},
    response_class=Response,
    summary="A report photo's thumbnail (Bearer token, or the exp+sig of a signed link from a push)",
)
async def get_thumbnail(
    photo_id: str,
    request: Request,
    photos: PhotoServiceDep,
    db: DatabaseDep,
    exp: Annotated[str | None, Query(max_length=20, description="Signed link: expiry (Unix time)")] = None,
    sig: Annotated[str | None, Query(max_length=128, description="Signed link: signature")] = None,
) -> Response:
    if exp is None and sig is None:
        principal = await current_principal(request)  # first: a stranger learns nothing of which photos exist
        stored = await _stored(photo_id, "thumbnail", photos)
        await _check_visible(stored, principal, db)
        return _response(request, stored)
    state_of(request.app).photo_signer.verify(photo_id, exp or "", sig or "", utc_now())  # 403 forged, 410 expired
    stored = await _stored(photo_id, "thumbnail", photos)
    if not stored.attached:
        raise NotFound("photo_not_found")
    return _response(request, stored)
