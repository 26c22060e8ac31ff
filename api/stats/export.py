"""CSV answers of the statistics endpoints: UTF-8 with a BOM, so Excel shows Vietnamese names."""

import csv
import io
from collections.abc import Iterable
from typing import Any

from fastapi.responses import Response

from api.stats.schemas import Breakdown, Overview, PublicStats, Ranking, Trend

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Spreadsheets run cells that start like a formula; text never does here, but make sure."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_response(rows: Iterable[dict[str, Any]], filename: str) -> Response:
    rows = list(rows)
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _flat(figures: Any) -> dict[str, Any]:
    """Figures as CSV columns: a per-reason count each gets its own (``rejected_by_reason.duplicate``)."""
    out: dict[str, Any] = {}
    for name, value in figures.model_dump().items():
        if isinstance(value, dict):
            out.update({f"{name}.{key}": count for key, count in value.items()})
        else:
            out[name] = value
    return out


def _period(answer: Any) -> dict[str, Any]:
    return {"from": answer.from_.isoformat(), "to": answer.to.isoformat()}


def as_csv(answer: Overview | Breakdown | Trend | Ranking | PublicStats) -> Response:
    """One row per figure set: the overview, each group, each trend point, each ranked agency."""
    if isinstance(answer, Breakdown):
        rows = [
            {**_period(answer), "by": answer.by, "group": r.group, "name": r.name, **_flat(r.figures)}
            for r in answer.rows
        ]
    elif isinstance(answer, Trend):
        rows = [{"start": p.start.isoformat(), "end": p.end.isoformat(), **_flat(p.figures)} for p in answer.points]
    elif isinstance(answer, Ranking):
        rows = [{**_period(answer), **r.model_dump()} for r in answer.rows]
    elif isinstance(answer, PublicStats):
        rows = [{**_period(answer), **_flat(answer.figures)}]
    else:
        rows = [{**_period(answer), "agency": answer.agency or "", **_flat(answer.figures)}]
    return csv_response(rows, f"phananh-{type(answer).__name__.lower()}-{answer.from_}-{answer.to}.csv")
