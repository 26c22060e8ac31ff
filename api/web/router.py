"""Shared files and data of the browser pages: ES modules, page configuration, ward outlines.

None of it needs a sign-in: the modules are code, the configuration is what any Firebase web
app publishes (project id, Web API key, auth endpoints), and the ward outlines are the public
boundaries the service ships. Every report and figure is fetched with the user's ID token.
"""

from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from api.auth import ROLES
from api.deps import SettingsDep, StateDep, TaxonomyDep
from api.ratelimit.client_ip import client_ip, is_loopback
from api.triage.workflow import TRANSITIONS
from api.web.geometry import ward_outlines
from api.web.pages import auth_endpoints, security_headers, serve_file

router = APIRouter(prefix="/web", include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"
DEV_API_KEY = "dev-api-key"  # the auth emulator accepts any key
WARD_AGENCY = "ward"  # the taxonomy's stand-in for "the ward's People's Committee" (ward:<code> when routed)


@router.get("/static/{name}")
async def shared_asset(name: str, settings: SettingsDep) -> FileResponse:
    return serve_file(STATIC, name, settings)


@router.get("/config.json")
async def page_config(request: Request, settings: SettingsDep, taxonomy: TaxonomyDep, state: StateDep) -> JSONResponse:
    """Where the pages sign in. ``dev_tokens``: a `phananh dev-token` in the URL is accepted (dev, loopback)."""
    identity, secure_token = auth_endpoints(settings)
    api_key = settings.firebase_web_api_key or (DEV_API_KEY if settings.is_dev else None)
    config: dict[str, Any] = {
        "project_id": settings.firebase_project_id,
        "sign_in_url": f"{identity}/accounts:signInWithPassword?key={api_key}" if api_key else None,
        "refresh_url": f"{secure_token}/token?key={api_key}" if api_key else None,
        "dev_tokens": settings.is_dev and is_loopback(client_ip(request)),
        "tile_url": settings.map_tile_url,
        # what the console offers: the workflow's moves per role and the agencies to reassign to
        "workflow": [
            {
                "from": source,
                "to": target,
                "roles": [r for r in rule.roles if r in ROLES],
                "public_note_required": rule.public_note_required,
            }
            for (source, target), rule in TRANSITIONS.items()
        ],
        "agencies": [
            {"code": a.code, "name_vi": a.name_vi, "name_en": a.name_en}
            for a in taxonomy.agencies.values()
            if a.code != WARD_AGENCY
        ],
        # categories whose resolution needs a photo (proof.json): the status form says so up front
        "proof_categories": sorted(c for c in taxonomy.categories if state.triage_tables.proof_required(c)),
    }
    return JSONResponse(config, headers=security_headers(settings))


@router.get("/wards.json")
async def wards(state: StateDep, settings: SettingsDep) -> JSONResponse:
    """Projected once per process (a quarter of a second of shapely), then served from memory."""
    if state.ward_outlines is None:
        state.ward_outlines = await anyio.to_thread.run_sync(ward_outlines, state.wards)
    return JSONResponse(state.ward_outlines, headers={**security_headers(settings), "Cache-Control": "max-age=86400"})
