"""Which open reports a new one may repeat: same category, within metres, recent, similar text.

Every report carries ``geo_cell``, the id of the ~111 m x 104 m grid cell (0.001 degree) it
lies in; the candidates are the reports of the same category in the cells that the radius
can reach (3 x 3 for 50 m), one equality query on a B-tree index (``duplicates``: category,
geo_cell) that any MongoDB, and SecantusDB, serves quickly. Exact distance (haversine),
recency and openness are then checked here. Character-trigram Jaccard on the folded text (lowercase, no diacritics,
abbreviations
expanded) keeps those that talk about the same thing, so "ổ gà to" and "o ga rat to" match
while a different pothole report three doors down with other words ranks lower. Candidates
are shown to the author only as code, status and an excerpt: never another resident's
identity or exact position, never a private report, and with contact details masked.
"""

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from api.domain import OPEN_STATUSES
from api.public.masking import mask
from api.reports.repository import CANDIDATE_FIELDS, ReportRepository
from classifiers.text import normalize, strip_diacritics
from core.settings import Settings

# the newest reports of the category around the spot, of which the most similar MAX_SHOWN are shown.
# 20, not 50: at a storm's hotspot SecantusDB decodes every report of the read window (twice the
# span of the newest MAX_CANDIDATES), and those reads were a third of the database's CPU per report
# in the storm's open loop (7 ms each, 2.5 per report); the newest 20 at one spot already repeat it.
MAX_CANDIDATES = 20
CELL_DEGREES = 0.001
AREA_CELL_DEGREES = 0.01  # ~1.1 km: the nearby map's wide circles read a few of these instead of 1 500 small cells
EARTH_RADIUS_M = 6_371_000
MAX_SHOWN = 5
TRIGRAM_CACHE = 512  # descriptions whose trigrams are kept (~10 kB each): a few hotspots' candidates
EXCERPT_CHARS = 140
HOT_MEMORY = timedelta(minutes=10)  # how long a spot read as hot is read the cheap way first
REUSE_READ = timedelta(seconds=2)  # how long a busy spot's newest candidates are answered from memory
HOT_CELLS = 4096  # (category, cell) pairs remembered per process


def geo_cell(lat: float, lng: float, size: float = CELL_DEGREES) -> int:
    """The grid cell of a point; stored on every report at intake (``geo_cell``, and ``area_cell``
    at ``AREA_CELL_DEGREES`` for the nearby map's wide circles)."""
    return math.floor(lat / size) * 1_000_000 + math.floor(lng / size)


def cells_within(lat: float, lng: float, radius_m: float, size: float = CELL_DEGREES) -> list[int]:
    """Every cell a circle of ``radius_m`` around the point can touch (corner cells it misses are left out)."""
    metres_lat, metres_lng = size * 111_320, size * 111_320 * math.cos(math.radians(lat))
    lat_steps, lng_steps = math.ceil(radius_m / metres_lat), math.ceil(radius_m / metres_lng)
    row, col = math.floor(lat / size), math.floor(lng / size)
    # the point's offset inside its own cell, in metres from the cell's south-west corner
    north, east = (lat / size - row) * metres_lat, (lng / size - col) * metres_lng
    reach = radius_m * 1.01 + 1  # a margin for the flat-earth approximation

    def gap(offset: float, step: int, cell_m: float) -> float:
        """Distance along one axis from the point to the nearest edge of the cell ``step`` away."""
        return 0.0 if step == 0 else (step * cell_m - offset if step > 0 else offset + (-step - 1) * cell_m)

    return [
        (row + i) * 1_000_000 + col + j
        for i in range(-lat_steps, lat_steps + 1)
        for j in range(-lng_steps, lng_steps + 1)
        if math.hypot(gap(north, i, metres_lat), gap(east, j, metres_lng)) <= reach
    ]


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@lru_cache(maxsize=TRIGRAM_CACHE)
def trigrams(text: str) -> frozenset[str]:
    """The folded text's character trigrams. Cached: in a storm every new report at a hotspot is
    compared with the same newest candidates, whose trigrams were already computed for the last one."""
    folded = strip_diacritics(normalize(text))
    return frozenset(f" {word} "[i : i + 3] for word in folded.split() for i in range(len(word)))


def jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    return len(first & second) / len(first | second) if first and second else 0.0


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of character trigrams: 1.0 for the same words, 0.0 for nothing shared."""
    return jaccard(trigrams(a), trigrams(b))


@dataclass(frozen=True)
class DuplicateRules:
    radius_m: float
    window_days: int
    min_similarity: float

    @classmethod
    def of(cls, settings: Settings) -> "DuplicateRules":
        return cls(settings.duplicate_radius_m, settings.duplicate_window_days, settings.duplicate_min_similarity)


class HotCells:
    """Per process: how far back the newest ``MAX_CANDIDATES`` reports reached at a busy spot.

    SecantusDB reads every index entry of the cells before it sorts and limits, so at a storm's
    hotspot each intake read every earlier report there (90 ms at 300, 456 ms at 1 500). A
    date range on one cell's equality is bounded by the index, so once a spot has been seen
    full, the next lookup asks each cell for the window that held the newest candidates last
    time, doubled; only if that window holds fewer than ``MAX_CANDIDATES`` does it read the
    cells in full. Either way the answer is the same newest reports: this memory only chooses
    the cheaper read, so several processes each keeping their own is harmless.

    It also keeps a busy spot's newest candidates for ``reuse_for`` (``REUSE_READ``, 2 s): in a
    storm every intake at a hotspot asked for the same newest reports, 1.5 windowed reads of 4 ms
    a report, 13% of SecantusDB's CPU per report. Reports this process files join the kept reads
    as they commit, so what such a read may miss for those seconds is a report filed through
    another process, or a status changed meanwhile: possible duplicates are a suggestion shown
    with the new report, which is filed either way. Quiet spots are always read afresh.
    """

    def __init__(self, size: int = HOT_CELLS, reuse_for: timedelta = REUSE_READ) -> None:
        self._spans: OrderedDict[tuple[str, int], tuple[datetime, timedelta]] = OrderedDict()
        self._reads: OrderedDict[tuple[str, tuple[int, ...]], tuple[datetime, list[dict[str, Any]]]] = OrderedDict()
        self._size = size
        self._reuse_for = reuse_for

    def window(self, category: str, cells: list[int], now: datetime) -> timedelta | None:
        """Twice the shortest recent span of these cells, or None for a spot not seen busy."""
        spans = []
        for cell in cells:
            seen = self._spans.get((category, cell))
            if seen is not None and now - seen[0] <= HOT_MEMORY:
                spans.append(seen[1])
        return 2 * min(spans) if spans else None

    def last_read(self, category: str, cells: list[int], now: datetime) -> list[dict[str, Any]] | None:
        """The newest candidates of this busy spot read less than ``reuse_for`` ago, if any."""
        read = self._reads.get((category, tuple(cells)))
        if read is None or not timedelta(0) <= now - read[0] < self._reuse_for:
            return None
        return list(read[1])

    def filed(self, report: Mapping[str, Any]) -> None:
        """A report this process filed joins, as the newest, the kept reads of the cells it lies in."""
        candidate = {field: report[field] for field in ("_id", *CANDIDATE_FIELDS) if field in report}
        for (category, cells), (_, newest) in self._reads.items():
            if category == report.get("category") and report.get("geo_cell") in cells:
                newest.insert(0, candidate)
                del newest[MAX_CANDIDATES:]

    def record(self, category: str, cells: list[int], now: datetime, newest: list[dict[str, Any]]) -> None:
        for cell in cells:
            self._spans.pop((category, cell), None)
        self._reads.pop((category, tuple(cells)), None)
        while self._reads and now - next(iter(self._reads.values()))[0] >= self._reuse_for:
            self._reads.popitem(last=False)  # kept in the order they were read: the stale ones first
        if len(newest) < MAX_CANDIDATES:
            return  # not full: the plain read is already bounded by what is there
        if self._reuse_for > timedelta(0):
            self._reads[(category, tuple(cells))] = (now, list(newest))
            while len(self._reads) > self._size:
                self._reads.popitem(last=False)
        span = max(now - newest[-1]["created_at"], timedelta(seconds=1))
        for cell in cells:
            self._spans[(category, cell)] = (now, span)
        while len(self._spans) > self._size:
            self._spans.popitem(last=False)


class DuplicateFinder:
    def __init__(self, reports: ReportRepository, rules: DuplicateRules, hot_cells: HotCells) -> None:
        self._reports = reports
        self._rules = rules
        self._hot_cells = hot_cells

    async def newest(self, category: str, cells: list[int], now: datetime) -> list[dict[str, Any]]:
        """The newest ``MAX_CANDIDATES`` reports of the category in the cells, read as cheaply as
        ``HotCells`` allows."""
        reused = self._hot_cells.last_read(category, cells, now)
        if reused is not None:
            return reused
        window = self._hot_cells.window(category, cells, now)
        found: list[dict[str, Any]] = []
        if window is not None:
            found = await self._reports.in_cells_since(category, cells, now - window, MAX_CANDIDATES)
        if len(found) < MAX_CANDIDATES:
            found = await self._reports.in_cells(category, cells, MAX_CANDIDATES)
        self._hot_cells.record(category, cells, now, found)
        return found

    def filed(self, report: Mapping[str, Any]) -> None:
        """A report this process just filed: the busy spots' kept reads include it from now on."""
        self._hot_cells.filed(report)

    async def possible_duplicates(
        self,
        category: str | None,
        lng: float,
        lat: float,
        text: str,
        now: datetime,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """``keep``: staff asking about a filed report drop it and what they may not see."""
        if category is None:
            return []
        since = now - timedelta(days=self._rules.window_days)
        found = await self.newest(category, cells_within(lat, lng, self._rules.radius_m), now)
        candidates = [
            c
            for c in found
            if c["status"] in OPEN_STATUSES
            and c["created_at"] >= since
            # staff (``keep``) see what they may see; another resident only public reports
            and (keep(c) if keep is not None else c.get("visibility") != "private")
            and distance_m(lat, lng, *reversed(c["location"]["coordinates"])) <= self._rules.radius_m
        ]
        mine = trigrams(text)
        scored = [(jaccard(mine, trigrams(c["description"])), c) for c in candidates]
        kept = sorted((pair for pair in scored if pair[0] >= self._rules.min_similarity), key=lambda p: -p[0])
        return [
            {
                "id": str(c["_id"]),
                "code": c["code"],
                "status": c["status"],
                "category": c["category"],
                "description": (mask(c["description"]) or "")[:EXCERPT_CHARS],
                "similarity": round(score, 2),
                "created_at": c["created_at"],
            }
            for score, c in kept[:MAX_SHOWN]
        ]
