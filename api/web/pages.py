"""Serving a page or one of its files under a Content-Security-Policy built from the settings.

Scripts and styles come only from this service (no CDN, nothing inline), so even a bug that
let text into the markup could not run it. The browser may talk to this service and to the
Firebase Auth endpoints the settings name (the emulator in dev), and load images from here,
from ``blob:`` (photos fetched with the token) and from the map tile server if one is set.
"""

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.deps import SettingsDep
from api.errors import NotFound
from core.settings import Settings

GOOGLE_IDENTITY = "https://identitytoolkit.googleapis.com/v1"
GOOGLE_SECURE_TOKEN = "https://securetoken.googleapis.com/v1"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}


def auth_endpoints(settings: Settings) -> tuple[str, str]:
    """Identity Toolkit and Secure Token base URLs: Google's, or the emulator's in dev mode.

    The emulator serves both APIs under its own origin with the Google host as the first path
    segment (http://127.0.0.1:9099/identitytoolkit.googleapis.com/v1/...).
    """
    if settings.is_dev:
        base = f"http://{settings.auth_emulator_host}"
        return (
            f"{base}/{GOOGLE_IDENTITY.removeprefix('https://')}",
            f"{base}/{GOOGLE_SECURE_TOKEN.removeprefix('https://')}",
        )
    return GOOGLE_IDENTITY, GOOGLE_SECURE_TOKEN


def _origin(url: str) -> str:
    parts = urlsplit(url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(settings: Settings) -> dict[str, str]:
    connect = sorted({"'self'", *(_origin(url) for url in auth_endpoints(settings))})
    images = ["'self'", "data:", "blob:"] + ([_origin(settings.map_tile_url)] if settings.map_tile_url else [])
    policy = (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {' '.join(images)}; "
        f"connect-src {' '.join(connect)}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def serve_file(directory: Path, name: str, settings: Settings) -> FileResponse:
    """A file of ``directory`` by its bare name (no path: ``..`` and subfolders are 404)."""
    path = directory / name
    media_type = MEDIA_TYPES.get(path.suffix)
    if "/" in name or "\\" in name or name.startswith(".") or media_type is None or not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type=f"{media_type}; charset=utf-8", headers=security_headers(settings))


def page_router(path: str, page: str, directory: Path) -> APIRouter:
    """A browser page at ``path`` (``page`` of ``directory``) and its files at ``path``/static/{name}.

    No sign-in: a page holds no data, it signs its user in and calls the API with the ID token.
    """
    router = APIRouter(prefix=path, include_in_schema=False)

    @router.get("")
    async def serve_page(settings: SettingsDep) -> FileResponse:
        return serve_file(directory, page, settings)

    @router.get("/static/{name}")
    async def serve_asset(name: str, settings: SettingsDep) -> FileResponse:
        return serve_file(directory, name, settings)

    return router
