"""Which of Hanoi's 126 wards contains a point; also the "is this in Hanoi?" test.

The shipped polygons are simplified (boundaries good to tens of metres), three of them
self-intersect and neighbours overlap slightly, so the index repairs them on load, prefers
the smallest containing ward where two overlap, and snaps a point that falls in a sliver
between simplified borders to the nearest ward within ``snap_m`` metres.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

_METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Ward:
    code: str
    name: str
    kind: str


class WardIndex:
    def __init__(self, wards: list[Ward], polygons: list[shapely.Geometry], snap_m: float = 150.0) -> None:
        self._wards = wards
        self._by_code = {ward.code: ward for ward in wards}
        self._polygons = polygons
        self._areas = [p.area for p in polygons]
        self._tree = STRtree(polygons)
        self._snap_deg = snap_m / _METRES_PER_DEGREE_LAT

    @classmethod
    def load(cls, path: Path, snap_m: float = 150.0) -> "WardIndex":
        features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
        wards, polygons = [], []
        for feature in features:
            geometry = shapely.make_valid(shape(feature["geometry"]))
            props = feature["properties"]
            wards.append(Ward(code=str(props["code"]), name=props["name"], kind=props.get("type", "")))
            polygons.append(geometry)
        shapely.prepare(polygons)
        return cls(wards, polygons, snap_m)

    def __len__(self) -> int:
        return len(self._wards)

    @property
    def wards(self) -> list[Ward]:
        return list(self._wards)

    def locate(self, lat: float, lng: float) -> Ward | None:
        """The ward containing (lat, lng), or None when the point is outside Hanoi."""
        if not (math.isfinite(lat) and math.isfinite(lng)):
            return None
        point = Point(lng, lat)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits):
            return self._wards[min(hits, key=lambda i: self._areas[i])]
        # longitude degrees shrink with latitude; the snap distance is approximate on purpose
        nearest = self._tree.query_nearest(point, max_distance=self._snap_deg / max(math.cos(math.radians(lat)), 0.1))
        return self._wards[int(nearest[0])] if len(nearest) else None

    def by_code(self, code: str) -> Ward | None:
        return self._by_code.get(code)

    def outlines(self) -> list[tuple[Ward, shapely.Geometry]]:
        """Every ward with its (repaired) polygon: the maps draw these."""
        return list(zip(self._wards, self._polygons, strict=True))
