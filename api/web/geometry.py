"""The 126 ward outlines as SVG path data, in Web Mercator pixels, simplified for the screen.

Projected on the server once per process: the browser receives ~115 KB of path strings
instead of the 188 KB GeoJSON and needs no projection code for polygons. Web Mercator at
zoom ``ZOOM`` (1 px ~ 35 m over Hanoi) so that an optional raster tile layer lines up; the
browser projects report positions with the same formula (wardmap.js ``project``).
"""

import math
from typing import Any

import numpy as np
import shapely

from classifiers.routing.wards import WardIndex

ZOOM = 12
TILE = 256
TOLERANCE_PX = 1.5  # below what a ward map at 1:1 shows; keeps every ward a valid outline


def mercator(coordinates: np.ndarray) -> np.ndarray:
    """(lng, lat) rows to world pixel coordinates at ``ZOOM`` (the slippy-map tile scheme's)."""
    scale = TILE * 2**ZOOM
    sin = np.sin(np.radians(coordinates[:, 1]))
    return np.column_stack(
        [(coordinates[:, 0] + 180) / 360 * scale, (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale]
    )


def _polygons_of(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    if isinstance(geometry, shapely.Polygon):
        return [geometry]
    return [p for part in getattr(geometry, "geoms", []) for p in _polygons_of(part)]


def _path(geometry: shapely.Geometry, x0: float, y0: float) -> str:
    parts = []
    for polygon in _polygons_of(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            points = [f"{x - x0:.1f},{y - y0:.1f}" for x, y in ring.coords[:-1]]
            if len(points) >= 3:
                parts.append("M" + "L".join(points) + "Z")
    return "".join(parts)


def ward_outlines(wards: WardIndex) -> dict[str, Any]:
    """Paths relative to the top-left corner of Hanoi's bounding box, plus that corner."""
    projected = [(ward, shapely.transform(geometry, mercator)) for ward, geometry in wards.outlines()]
    bounds = shapely.total_bounds([geometry for _, geometry in projected])
    x0, y0 = math.floor(bounds[0]), math.floor(bounds[1])
    rows = []
    for ward, geometry in projected:
        simple = geometry.simplify(TOLERANCE_PX, preserve_topology=True)
        centre = geometry.representative_point()
        rows.append(
            {
                "code": ward.code,
                "name": ward.name,
                "kind": ward.kind,
                "path": _path(simple, x0, y0),
                "centre": [round(centre.x - x0, 1), round(centre.y - y0, 1)],
            }
        )
    return {
        "zoom": ZOOM,
        "origin": [x0, y0],
        "width": math.ceil(bounds[2]) - x0,
        "height": math.ceil(bounds[3]) - y0,
        "wards": rows,
    }
