"""Open311 GeoReport v2 at ``/open311/v2/``: parse, authenticate the API key, answer in JSON or XML.

Reading (discovery, services, requests) is public, as in the spec, and throttled per client
address; filing a request needs an API key from ``phananh apikey create`` and is throttled
per key. Every error is the spec's ``{code, description}`` list (see ``formats.Open311Route``).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import DatabaseDep, PhotoServiceDep, RateLimiterDep, SettingsDep, StateDep
from api.open311.catalogue import ServiceCatalogue
from api.open311.discovery import discovery
from api.open311.formats import XML_TYPE, Open311Error, Open311Route, render
from api.open311.keys import ApiKeys
from api.open311.repository import Open311Repository
from api.open311.schemas import (
    CreatedRequestOut,
    DiscoveryOut,
    Format,
    Open311ErrorOut,
    ServiceDefinitionOut,
    ServiceOut,
    ServiceRequestOut,
    TokenOut,
)
from api.open311.service import NewRequest, Open311Service, RequestQuery
from api.ratelimit.client_ip import client_ip
from api.reports.dependencies import ReportServiceDep
from api.reports.repository import ReportRepository
from core.i18n import negotiate_locale

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)
PREFIX = router.prefix


async def get_catalogue(state: StateDep) -> ServiceCatalogue:
    return state.open311_catalogue


CatalogueDep = Annotated[ServiceCatalogue, Depends(get_catalogue)]


async def get_open311_service(
    db: DatabaseDep, reports: ReportServiceDep, catalogue: CatalogueDep, settings: SettingsDep
) -> Open311Service:
    return Open311Service(
        reports=reports,
        report_repo=ReportRepository(db),
        repo=Open311Repository(db),
        catalogue=catalogue,
        report_rate_limit=settings.open311_report_rate_limit,
    )


Open311ServiceDep = Annotated[Open311Service, Depends(get_open311_service)]


async def get_api_keys(db: DatabaseDep) -> ApiKeys:
    return ApiKeys(Open311Repository(db))


ApiKeysDep = Annotated[ApiKeys, Depends(get_api_keys)]
FormatPath = Annotated[Format, Path(description="json or xml")]
JurisdictionQuery = Annotated[
    str | None, Query(max_length=200, description="Accepted; must name this server's jurisdiction")
]


def _english(request: Request) -> bool:
    return negotiate_locale(request.headers.get("accept-language")) == "en"


def _check_jurisdiction(given: str | None, settings: SettingsDep) -> None:
    if given and given.strip() and given.strip() != settings.open311_jurisdiction_id:
        raise Open311Error(404, "open311.jurisdiction_unknown", jurisdiction=given.strip()[:100])


async def throttle_by_address(
    request: Request, limiter: RateLimiterDep, settings: SettingsDep, jurisdiction_id: JurisdictionQuery = None
) -> None:
    """Public reads: counted per client address (the key holders' writes are counted per key),
    the one behind a trusted proxy, else every reader behind it would share one bucket."""
    _check_jurisdiction(jurisdiction_id, settings)
    address = client_ip(request)
    await limiter.hit("open311", f"address:{address}", settings.open311_rate_limit, settings.report_rate_window_s)


PublicRead = Depends(throttle_by_address)


def _responses(model: Any) -> dict[int | str, dict[str, Any]]:
    errors = {
        "model": list[Open311ErrorOut],
        "content": {XML_TYPE: {}},
        "description": "The spec's errors: [{code, description}] (XML: <errors><error>)",
    }
    return {200: {"model": model, "content": {XML_TYPE: {}}}, 400: errors, 403: errors, 404: errors, 429: errors}


@router.get(
    "/discovery.{fmt}",
    responses=_responses(DiscoveryOut),
    response_class=Response,
    summary="Service discovery: where this GeoReport v2 endpoint lives and what it speaks",
)
async def get_discovery(request: Request, fmt: FormatPath, settings: SettingsDep) -> Response:
    return render(fmt, "discovery", discovery(str(request.base_url).rstrip("/") + PREFIX, settings))


@router.get(
    "/services.{fmt}",
    responses=_responses(list[ServiceOut]),
    response_class=Response,
    summary="One service per report category (names in the Accept-Language)",
)
async def list_services(
    request: Request,
    fmt: FormatPath,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    jurisdiction_id: JurisdictionQuery = None,
) -> Response:
    _check_jurisdiction(jurisdiction_id, settings)
    return render(fmt, "services", catalogue.services(_english(request)))


@router.get(
    "/services/{service_code}.{fmt}",
    responses=_responses(ServiceDefinitionOut),
    response_class=Response,
    summary="A service's attributes (extra questions)",
)
async def get_service_definition(
    request: Request,
    service_code: str,
    fmt: FormatPath,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    jurisdiction_id: JurisdictionQuery = None,
) -> Response:
    _check_jurisdiction(jurisdiction_id, settings)
    return render(fmt, "service_definition", catalogue.definition(service_code, _english(request)))


def _media_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX + "/media"


@router.get(
    "/requests.{fmt}",
    responses=_responses(list[ServiceRequestOut]),
    response_class=Response,
    dependencies=[PublicRead],
    summary="Service requests: newest first, last 90 days by default, at most 1000",
)
async def list_requests(
    request: Request,
    fmt: FormatPath,
    service: Open311ServiceDep,
    service_request_id: Annotated[
        str | None, Query(description="Comma-separated; overrides every other filter")
    ] = None,
    service_code: Annotated[str | None, Query(description="Comma-separated service codes")] = None,
    start_date: Annotated[str | None, Query(description="ISO 8601; with end_date at most 90 days apart")] = None,
    end_date: Annotated[str | None, Query(description="ISO 8601")] = None,
    status: Annotated[str | None, Query(description="open, closed or both (comma-separated)")] = None,
) -> Response:
    query = RequestQuery(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    return render(fmt, "service_requests", await service.list_requests(query, _english(request), _media_base(request)))


_POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code", "lat", "long", "description"],
                    "properties": {
                        name: {"type": "string"}
                        for name in (
                            "api_key",
                            "jurisdiction_id",
                            "service_code",
                            "lat",
                            "long",
                            "address_string",
                            "address_id",
                            "description",
                            "media_url",
                            "first_name",
                            "last_name",
                            "email",
                            "phone",
                            "device_id",
                            "account_id",
                        )
                    },
                    "additionalProperties": {"type": "string", "description": "attribute[CODE] answers"},
                }
            }
        },
    }
}


@router.post(
    "/requests.{fmt}",
    status_code=201,
    responses={**_responses(None), 201: {"model": list[CreatedRequestOut], "content": {XML_TYPE: {}}}},
    response_class=Response,
    openapi_extra=_POST_BODY,
    summary="File a service request (form-encoded); lat/long required: no geocoding here",
)
async def create_request(
    request: Request,
    fmt: FormatPath,
    service: Open311ServiceDep,
    keys: ApiKeysDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> Response:
    form = await request.form(max_files=0, max_fields=200)
    new = NewRequest.from_form(list(form.multi_items()))
    _check_jurisdiction(new.get("jurisdiction_id"), settings)
    key = await keys.authenticate(new.get("api_key") or request.query_params.get("api_key"))
    await limiter.hit("open311", f"key:{key['_id']}", settings.open311_rate_limit, settings.report_rate_window_s)
    created = await service.submit(key, new, negotiate_locale(request.headers.get("accept-language")))
    return render(fmt, "service_requests", [created], status=201)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    responses=_responses(list[ServiceRequestOut]),
    response_class=Response,
    dependencies=[PublicRead],
    summary="One service request (a list of one)",
)
async def get_request(
    request: Request, service_request_id: str, fmt: FormatPath, service: Open311ServiceDep
) -> Response:
    found = await service.get_request(service_request_id, _english(request), _media_base(request))
    return render(fmt, "service_requests", [found])


@router.get(
    "/tokens/{token}.{fmt}",
    responses=_responses(list[TokenOut]),
    response_class=Response,
    dependencies=[PublicRead],
    summary="The service request id behind a token from POST requests",
)
async def get_token(token: str, fmt: FormatPath, service: Open311ServiceDep) -> Response:
    return render(fmt, "service_requests", [await service.token(token)])


@router.get(
    "/media/{photo_id}.jpg",
    responses={200: {"content": {"image/jpeg": {}}}},
    response_class=Response,
    dependencies=[PublicRead],
    summary="A report's photo for media_url (display size, no metadata)",
)
async def get_media(photo_id: str, service: Open311ServiceDep, photos: PhotoServiceDep) -> Response:
    stored = await service.public_photo(photo_id, photos)
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={"Cache-Control": "public, max-age=86400", "ETag": f'"{photo_id}"'},
    )


@router.api_route("/{anything:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def not_found(anything: str) -> Response:
    """Anything else under the prefix (a missing or unknown format suffix too) gets the spec's 404."""
    raise Open311Error(404, "open311.not_found")
