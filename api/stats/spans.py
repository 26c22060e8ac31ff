"""The calendar of the statistics: months, trend intervals and the aligned blocks of days.

A prefix (every counter from the beginning of history to the end of a day) must cost the
same number of documents whatever the day and however dense the history. The sealing job
therefore stores, besides a cumulative document per month end, sums of aligned blocks of
16, 8, 4, 2 and 1 days inside each month: the days 1..d of any month are the binary
decomposition of d, at most four blocks (d = 15, 23, 27, 29 or 30), the month's last day
being the cumulative document itself.
"""

import calendar
from datetime import date, timedelta

BLOCK_SIZES = (16, 8, 4, 2, 1)
Block = tuple[date, int]  # first day, number of days


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


def previous_month(day: date) -> date:
    """The last day of the month before ``day``'s."""
    return day.replace(day=1) - timedelta(days=1)


def blocks_to(day: date) -> list[Block]:
    """The aligned blocks whose days are exactly the 1st..``day`` of ``day``'s month."""
    blocks, position = [], 1
    for size in BLOCK_SIZES:
        if position - 1 + size <= day.day:
            blocks.append((day.replace(day=position), size))
            position += size
    return blocks


def month_blocks(month: date) -> set[Block]:
    """Every block a prefix inside ``month`` may need (its last day is covered by the cumulative document)."""
    last = month_end(month)
    return {block for d in range(1, last.day) for block in blocks_to(month.replace(day=d))}


def block_end(block: Block) -> date:
    return block[0] + timedelta(days=block[1] - 1)


def block_key(block: Block) -> str:
    return f"{block[0].isoformat()}+{block[1]}"


def interval_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday
    return day.replace(day=1) if interval == "month" else day


def interval_end(day: date, interval: str) -> date:
    if interval == "week":
        return interval_start(day, "week") + timedelta(days=6)
    return month_end(day) if interval == "month" else day


def intervals(first: date, last: date, interval: str) -> list[tuple[date, date]]:
    """The points of a trend: whole days, weeks or months, cut at ``first`` and ``last``."""
    points, start = [], first
    while start <= last:
        end = min(interval_end(start, interval), last)
        points.append((start, end))
        start = end + timedelta(days=1)
    return points


def is_whole(start: date, end: date, interval: str) -> bool:
    """Whether a trend point is a whole week or month (one sealed document when sealed)."""
    return interval != "day" and start == interval_start(start, interval) and end == interval_end(start, interval)
