"""Statistics rules: who sees which scope, and the figures computed from rollups only.

City-wide roles (leadership, admin, triage officers) may read the whole city or one agency;
agency staff read their own agency and nothing else. Group names come from the routing
tables (agencies, categories, wards), never from anything a resident wrote.
"""

from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from api.auth import Principal
from api.domain import CITY_WIDE_ROLES
from api.errors import Forbidden
from api.stats.metrics import NONE
from api.stats.periods import PeriodReader
from api.stats.repository import StatsRepository
from api.stats.schemas import (
    Breakdown,
    BreakdownRow,
    Figures,
    Overview,
    Ranking,
    RankingRow,
    Trend,
    TrendPoint,
)
from api.stats.spans import intervals
from api.stats.vectors import BACKLOG, figures, zeros
from classifiers.routing.rules import WARD_AGENCY_PREFIX
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date


class Names:
    """Display names of groups, in the caller's language."""

    def __init__(self, taxonomy: Taxonomy, wards: WardIndex, locale: str) -> None:
        self._taxonomy = taxonomy
        self._wards = wards
        self._en = locale == "en"

    def __call__(self, dim: str, code: str) -> str:
        if code == NONE:
            return "Not yet routed" if self._en else "Chưa phân loại"
        if dim == "category" and code in self._taxonomy.categories:
            category = self._taxonomy.categories[code]
            return category.name_en if self._en else category.name_vi
        if dim == "ward" or code.startswith(WARD_AGENCY_PREFIX):
            ward = self._wards.by_code(code.removeprefix(WARD_AGENCY_PREFIX))
            if ward is None:
                return code
            return (
                ward.name
                if dim == "ward"
                else (f"{ward.name} People's Committee" if self._en else f"UBND {ward.kind.lower()} {ward.name}")
            )
        agency = self._taxonomy.agencies.get(code)
        return code if agency is None else (agency.name_en if self._en else agency.name_vi)


def scoped_agency(principal: Principal, agency: str | None) -> str | None:
    """The agency a request reads (None: the whole city); agency staff only ever their own."""
    if principal.role in CITY_WIDE_ROLES:
        return agency
    if principal.role == "agency_staff" and agency in (None, principal.agency):
        return principal.agency
    raise Forbidden()


class StatsService:
    def __init__(self, repo: StatsRepository, names: Names) -> None:
        self._reader = PeriodReader(repo)
        self._names = names

    async def overview(self, period: DateRange, agency: str | None) -> Overview:
        dim, group = ("agency", agency) if agency else ("total", "*")
        counters = (await self._reader.range(dim, period.first, period.last)).get(group, zeros())
        return Overview(from_=period.first, to=period.last, agency=agency, figures=Figures(**figures([counters])[0]))

    async def breakdown(self, period: DateRange, by: str, agency: str | None, sort: str, descending: bool) -> Breakdown:
        if agency is None:
            groups = await self._reader.range(by, period.first, period.last)
        elif by == "agency":
            groups = {
                k: v for k, v in (await self._reader.range("agency", period.first, period.last)).items() if k == agency
            }
        else:
            prefix = f"{agency}|"
            groups = {
                k.removeprefix(prefix): v
                for k, v in (await self._reader.range(f"agency_{by}", period.first, period.last)).items()
                if k.startswith(prefix)
            }
        rows = [
            BreakdownRow(group=code, name=self._names(by, code), figures=Figures(**shown))
            for code, shown in zip(groups, figures(list(groups.values())), strict=True)
        ]
        return Breakdown(
            from_=period.first, to=period.last, agency=agency, by=by, rows=sort_rows(rows, sort, descending)
        )

    async def trend(self, period: DateRange, interval: str, agency: str | None) -> Trend:
        dim, group = ("agency", agency) if agency else ("total", "*")
        spans = intervals(period.first, period.last, interval)
        backlog, counters_per_point = await self._reader.series(dim, group, spans, interval)
        backlogs = list(accumulate((int(c[BACKLOG]) for c in counters_per_point), initial=backlog))[1:]
        points = [
            TrendPoint(start=start, end=end, figures=Figures(**shown))
            for (start, end), shown in zip(spans, figures(counters_per_point, backlogs), strict=True)
        ]
        return Trend(from_=period.first, to=period.last, agency=agency, interval=interval, points=points)

    async def ranking(self, period: DateRange) -> Ranking:
        """Agencies by resolve on-time rate (best first), then by smaller backlog, as cities publish monthly."""
        groups = await self._reader.range("agency", period.first, period.last)
        agencies = [code for code in groups if code != NONE]
        ranked = sorted(
            zip(agencies, figures([groups[code] for code in agencies]), strict=True),
            key=lambda item: (-(item[1]["resolve_on_time_rate"] or 0), item[1]["backlog"], item[0]),
        )
        rows = [
            RankingRow(
                rank=i + 1,
                agency=code,
                name=self._names("agency", code),
                backlog=f["backlog"],
                resolve_on_time_rate=f["resolve_on_time_rate"],
                received=f["received"],
                acknowledge_on_time_rate=f["acknowledge_on_time_rate"],
                resolved=f["resolved"],
            )
            for i, (code, f) in enumerate(ranked)
        ]
        return Ranking(from_=period.first, to=period.last, rows=rows)


def sort_rows(rows: list[BreakdownRow], sort: str, descending: bool) -> list[BreakdownRow]:
    """Sorted by one figure; groups without that figure (no resolutions yet: no rate) always last."""
    if sort == "name":
        return sorted(rows, key=lambda r: r.name, reverse=descending)
    present = [r for r in rows if getattr(r.figures, sort) is not None]
    missing = [r for r in rows if getattr(r.figures, sort) is None]
    present.sort(key=lambda r: (getattr(r.figures, sort), r.group), reverse=descending)
    return present + sorted(missing, key=lambda r: r.group)
