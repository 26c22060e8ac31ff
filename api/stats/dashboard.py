"""GET /dashboard: the leadership page, served with every file it needs (works offline, no CDN).

The page itself holds no data and needs no sign-in; it calls /v1/stats with the Firebase ID
token the user pastes in (kept in sessionStorage). The Content-Security-Policy allows only
this service's own scripts and styles, so even a bug that let text into the markup could
not run it.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import NotFound

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css", "charts.js": "text/javascript"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@router.get("/dashboard")
async def dashboard() -> FileResponse:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.get("/dashboard/static/{name}")
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound()
    return FileResponse(STATIC / name, media_type=f"{ASSETS[name]}; charset=utf-8", headers=SECURITY_HEADERS)
