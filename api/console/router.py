"""GET /console: the staff console page and its files (works offline, no CDN, strict CSP).

The page holds no data: it signs the user in with Firebase Authentication (e-mail and
password, through the endpoints /web/config.json names) and calls /v1/triage with the ID
token. What a role may do is enforced by the API; the page only hides what would be refused.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from api.web.pages import serve_file

router = APIRouter(prefix="/console", include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"


@router.get("")
async def console(settings: SettingsDep) -> FileResponse:
    return serve_file(STATIC, "console.html", settings)


@router.get("/static/{name}")
async def asset(name: str, settings: SettingsDep) -> FileResponse:
    return serve_file(STATIC, name, settings)
