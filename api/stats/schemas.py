"""Response models of the statistics endpoints (leaf module)."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Dimension = Literal["agency", "category", "ward"]
Interval = Literal["day", "week", "month"]
SortKey = Literal[
    "received",
    "resolved",
    "backlog",
    "overdue",
    "acknowledge_on_time_rate",
    "resolve_on_time_rate",
    "resolve_median_s",
    "average_rating",
    "reopen_rate",
    "name",
    "escalated",
    "appealed",
    "overturn_rate",
]


class Figures(BaseModel):
    received: int
    acknowledged: int
    resolved: int
    rejected: int
    reopened: int
    overdue: int
    merged: int
    rerouted: int
    backlog: int
    acknowledge_on_time_rate: float | None
    resolve_on_time_rate: float | None
    acknowledge_median_s: float | None
    acknowledge_p90_s: float | None
    resolve_median_s: float | None
    resolve_p90_s: float | None
    average_rating: float | None
    ratings: int
    reopen_rate: float | None
    escalated: int = Field(0, description="Steps up the supervision chain after a missed deadline")
    appealed: int = Field(0, description="Appeals filed (after a rejection or a 1-2 star rating)")
    appeals_overturned: int = 0
    overturn_rate: float | None = Field(None, description="Appeals overturned / appeals decided")
    resolved_with_proof: int = Field(0, description="Resolutions whose status change carried a photo")
    resolved_with_proof_rate: float | None = Field(None, description="resolved_with_proof / resolved")
    rejected_by_reason: dict[str, int] = Field(default_factory=dict, description="Rejections per reason code")


class Period(BaseModel):
    """Every answer names its period; ``from`` is a Python keyword, hence the alias."""

    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date


class Overview(Period):
    agency: str | None
    figures: Figures


class BreakdownRow(BaseModel):
    group: str
    name: str
    figures: Figures


class Breakdown(Period):
    agency: str | None
    by: Dimension
    rows: list[BreakdownRow]


class TrendPoint(BaseModel):
    start: date
    end: date
    figures: Figures


class Trend(Period):
    agency: str | None
    interval: Interval
    points: list[TrendPoint]


class RankingRow(BaseModel):
    rank: int
    agency: str
    name: str
    resolve_on_time_rate: float | None
    acknowledge_on_time_rate: float | None
    backlog: int
    received: int
    resolved: int


class Ranking(Period):
    rows: list[RankingRow]


class PublicStats(Period):
    figures: Figures
    ranking: list[RankingRow]
