"""GET a photo or its thumbnail: visible to whoever may see its report, cached by clients."""

from fastapi import APIRouter, Request, Response

from api.auth import CurrentPrincipal
from api.deps import DatabaseDep, PhotoServiceDep
from api.errors import ERRORS, AppError, NotFound
from api.reports.access import load_visible, parse_report_id
from api.reports.repository import ReportRepository

router = APIRouter(prefix="/v1", tags=["photos"])

# Stored photos never change (a new photo gets a new id), so clients may keep them a year;
# "private" keeps shared caches from serving a resident's photo to someone else.
CACHE_CONTROL = "private, max-age=31536000, immutable"


async def _photo_response(request: Request, photo_id: str, variant: str, principal, photos, db) -> Response:
    if len(photo_id) != 24 or not all(c in "0123456789abcdef" for c in photo_id):
        raise NotFound("photo_not_found")
    stored = await photos.get(photo_id, variant)
    if stored is None:
        raise NotFound("photo_not_found")
    try:
        await load_visible(ReportRepository(db), principal, parse_report_id(stored.report_id))
    except AppError as exc:
        raise NotFound("photo_not_found") from exc
    etag = f'"{photo_id}-{variant}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(stored.data, media_type=stored.content_type, headers=headers)


@router.get("/photos/{photo_id}", responses={200: {"content": {"image/jpeg": {}}}, **ERRORS}, response_class=Response,
            summary="A report photo (display size, metadata stripped)")
async def get_photo(photo_id: str, request: Request, principal: CurrentPrincipal, photos: PhotoServiceDep,
                    db: DatabaseDep) -> Response:
    return await _photo_response(request, photo_id, "display", principal, photos, db)


@router.get("/photos/{photo_id}/thumbnail", responses={200: {"content": {"image/jpeg": {}}}, **ERRORS},
            response_class=Response, summary="A report photo's thumbnail")
async def get_thumbnail(photo_id: str, request: Request, principal: CurrentPrincipal, photos: PhotoServiceDep,
                        db: DatabaseDep) -> Response:
    return await _photo_response(request, photo_id, "thumbnail", principal, photos, db)
