"""``phananh stats rebuild``: the rollups of a date range recomputed from the reports themselves.

The one place statistics read raw reports. Each report filed before the range's end is
replayed (``replay.py``); the increments dated inside the range replace that range's
rollups. Sealed copies that summed a rebuilt day are dropped and sealed again.
"""

from datetime import date, timedelta

from api.reports.repository import ReportRepository
from api.stats.metrics import by_document, change_increments, city_day, day_start, new_increments, without_zeros
from api.stats.periods import Sealer
from api.stats.replay import replay
from api.stats.repository import StatsRepository
from api.stats.spans import month_end, previous_month

WINDOW = timedelta(days=14)  # reports read per query, by filing date


async def rebuild(
    reports: ReportRepository, stats: StatsRepository, first: date, last: date, seal_through: date
) -> dict[str, int]:
    await stats.forget_checkpoint()
    increments = new_increments()
    scanned = 0
    end = day_start(last + timedelta(days=1))
    start = await reports.first_filed()
    while start is not None and start < end:  # a report filed before the range may change inside it
        window_end = min(start + WINDOW, end)
        async for report in reports.for_statistics(start, window_end):
            scanned += 1
            for kind, before, after, at, stars in replay(report):
                day = city_day(at)
                if first <= day <= last:
                    by_document(day, change_increments(kind, before, after, at, stars), increments)
        start = window_end
    documents = without_zeros(increments)
    await stats.replace_days(first.isoformat(), last.isoformat(), documents)
    await _unseal_from(stats, first)
    sealed = await Sealer(stats).seal(seal_through)
    return {"reports": scanned, "rollups": len(documents), "sealed_days": sealed}


async def _unseal_from(stats: StatsRepository, first: date) -> None:
    """Move the watermark back to the last month end before ``first`` (cumulative months stay whole)."""
    mark = await stats.watermark()
    if mark is None:
        return
    through = min(date.fromisoformat(mark["through"]), first - timedelta(days=1)) if mark["through"] else None
    if through is not None and through != month_end(through):
        through = previous_month(through)
    start = min(date.fromisoformat(mark["first"]), first).isoformat()
    await stats.unseal_after(through)
    await stats.set_watermark(start, through.isoformat() if through else None)
