"""Positions shown to people other than the report's author: snapped to a ~50 m grid.

A resident's exact GPS fix can point at their front door; everyone else (Open311 feeds,
public maps, other residents) sees the centre of the grid cell the report falls in, which
still places it on the right street block.
"""

import math

PUBLIC_GRID_DEG = 0.0005  # ~55 m of latitude, ~52 m of longitude at Hanoi's 21°N


def public_location(lat: float, lng: float, grid_deg: float = PUBLIC_GRID_DEG) -> tuple[float, float]:
    """The centre of the grid cell holding (lat, lng): at most ~40 m from the true point.

    Cell centres (not nearest grid lines) so that a point never maps onto a cell boundary,
    and a fixed grid (not random noise) so repeated reads cannot be averaged back to the truth.
    """

    def snap(value: float) -> float:
        return round((math.floor(value / grid_deg) + 0.5) * grid_deg, 6)

    return snap(lat), snap(lng)
