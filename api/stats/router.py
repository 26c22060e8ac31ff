"""/v1/stats (staff) and /v1/public/stats (anyone): parse, authorise, answer JSON or CSV."""

import time
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.auth import Principal, require_roles
from api.deps import DatabaseDep, SettingsDep, StateDep
from api.domain import CITY_WIDE_ROLES, STAFF_ROLES
from api.errors import ERRORS, FieldError, Forbidden
from api.stats.export import as_csv
from api.stats.metrics import CITY_TZ
from api.stats.repository import StatsRepository
from api.stats.schemas import Breakdown, Dimension, Interval, Overview, PublicStats, Ranking, SortKey, Trend
from api.stats.service import DateRange, Names, StatsService, scoped_agency
from core.i18n import negotiate_locale

router = APIRouter(tags=["statistics"])
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
Format = Annotated[Literal["json", "csv"], Query(description="csv: UTF-8 with BOM, for Excel")]
AgencyParam = Annotated[str | None, Query(max_length=64, description="one agency (agency staff: always their own)")]


def today() -> date:
    return datetime.now(CITY_TZ).date()


async def date_range(
    settings: SettingsDep, from_: Annotated[date | None, Query(alias="from")] = None, to: date | None = None
) -> DateRange:
    """from/to as city dates (inclusive); default: the last ``stats_default_days`` days."""
    for name, day in (("from", from_), ("to", to)):
        if day is not None and not EARLIEST <= day <= LATEST:  # also keeps date arithmetic from overflowing
            raise FieldError(name, "field.out_of_range")
    last = to or today()
    first = from_ or last - timedelta(days=settings.stats_default_days - 1)
    if first > last:
        raise FieldError("from", "field.stats_from_after_to")
    if (last - first).days + 1 > settings.stats_max_range_days:
        raise FieldError("to", "field.stats_range_too_long", max_days=settings.stats_max_range_days)
    return DateRange(first, last)


async def stats_service(request: Request, db: DatabaseDep, state: StateDep) -> StatsService:
    names = Names(state.taxonomy, state.wards, negotiate_locale(request.headers.get("accept-language")))
    return StatsService(StatsRepository(db), names)


Reader = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]
Range = Annotated[DateRange, Depends(date_range)]
Service = Annotated[StatsService, Depends(stats_service)]


def answer(
    result: Overview | Breakdown | Trend | Ranking | PublicStats, fmt: str, headers: dict[str, str] | None = None
) -> Response:
    if fmt == "csv":
        response = as_csv(result)
        response.headers.update(headers or {})
        return response
    return JSONResponse(result.model_dump(mode="json", by_alias=True), headers=headers)


@router.get(
    "/v1/stats/overview",
    response_model=Overview,
    responses=ERRORS,
    summary="Headline figures: volume, backlog, on-time rates, response times, rating, reopen rate",
)
async def overview(
    principal: Reader, period: Range, service: Service, agency: AgencyParam = None, format: Format = "json"
) -> Response:
    return answer(await service.overview(period, scoped_agency(principal, agency)), format)


@router.get(
    "/v1/stats/breakdown",
    response_model=Breakdown,
    responses=ERRORS,
    summary="The same figures per agency, category or ward, sorted",
)
async def breakdown(
    principal: Reader,
    period: Range,
    service: Service,
    by: Dimension = "agency",
    sort: SortKey = "received",
    order: Literal["asc", "desc"] = "desc",
    agency: AgencyParam = None,
    format: Format = "json",
) -> Response:
    result = await service.breakdown(period, by, scoped_agency(principal, agency), sort, order == "desc")
    return answer(result, format)


@router.get(
    "/v1/stats/trend",
    response_model=Trend,
    responses=ERRORS,
    summary="A time series by day, week (Monday to Sunday) or month; backlog at each point's end",
)
async def trend(
    principal: Reader,
    period: Range,
    service: Service,
    interval: Interval = "week",
    agency: AgencyParam = None,
    format: Format = "json",
) -> Response:
    return answer(await service.trend(period, interval, scoped_agency(principal, agency)), format)


@router.get(
    "/v1/stats/ranking",
    response_model=Ranking,
    responses=ERRORS,
    summary="Agencies ranked by resolve on-time rate, then backlog",
)
async def ranking(principal: Reader, period: Range, service: Service, format: Format = "json") -> Response:
    if principal.role not in CITY_WIDE_ROLES:  # any period, city-wide: the public sees the last 30 days only
        raise Forbidden()
    return answer(await service.ranking(period), format)


@router.get(
    "/v1/public/stats",
    response_model=PublicStats,
    responses=ERRORS,
    summary="City transparency: headline figures and the agency ranking, no sign-in, cached",
)
async def public_stats(request: Request, state: StateDep, service: Service, format: Format = "json") -> Response:
    settings, cache = state.settings, state.public_stats_cache
    key = (today(), negotiate_locale(request.headers.get("accept-language")))
    cached = cache.get(key)
    if cached is None or cached[0] < time.monotonic():
        period = DateRange(key[0] - timedelta(days=settings.stats_default_days - 1), key[0])
        overview_ = await service.overview(period, None)
        ranked = await service.ranking(period)
        result = PublicStats(from_=period.first, to=period.last, figures=overview_.figures, ranking=ranked.rows)
        for stale in [k for k in cache if k[0] != key[0]]:
            del cache[stale]
        cache[key] = cached = (time.monotonic() + settings.public_stats_cache_s, result)
    headers = {"Cache-Control": f"public, max-age={settings.public_stats_cache_s}", "Vary": "Accept-Language"}
    return answer(cached[1], format, headers)
