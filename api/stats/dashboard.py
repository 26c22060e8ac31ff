"""GET /dashboard: the leadership page, served with every file it needs (works offline, no CDN).

The page itself holds no data; it signs the user in like the staff console (shared modules
under /web/static) and calls /v1/stats with the ID token. Served under the same strict
Content-Security-Policy (api.web.pages).
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from api.web.pages import serve_file

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"


@router.get("/dashboard")
async def dashboard(settings: SettingsDep) -> FileResponse:
    return serve_file(STATIC, "dashboard.html", settings)


@router.get("/dashboard/static/{name}")
async def asset(name: str, settings: SettingsDep) -> FileResponse:
    return serve_file(STATIC, name, settings)
