"""The grid cover of a circle: every point inside lies in a cell read, and few cells are read."""

import math
import random

import pytest

from api.duplicates.finder import AREA_CELL_DEGREES, CELL_DEGREES, cells_within, distance_m, geo_cell
from api.public.service import MAX_FINE_CELLS, nearby_cells


@pytest.mark.parametrize("size", [CELL_DEGREES, AREA_CELL_DEGREES])
def test_every_point_of_the_circle_is_in_a_covered_cell(size):
    rng = random.Random(18)
    for _ in range(500):
        lat, lng, radius = 20.9 + rng.random() * 0.3, 105.7 + rng.random() * 0.3, rng.choice([50, 150, 500, 1000, 2000])
        cover = set(cells_within(lat, lng, radius, size))
        for _ in range(20):
            angle, distance = rng.random() * 2 * math.pi, radius * math.sqrt(rng.random())
            other = (
                lat + distance * math.cos(angle) / 111_320,
                lng + distance * math.sin(angle) / (111_320 * math.cos(math.radians(lat))),
            )
            if distance_m(lat, lng, *other) <= radius:
                assert geo_cell(*other, size) in cover, (lat, lng, radius, other)


def test_small_circles_read_fine_cells_and_wide_ones_a_few_area_cells():
    field, cells = nearby_cells(21.0285, 105.8542, 150)
    assert field == "geo_cell" and len(cells) <= MAX_FINE_CELLS
    field, cells = nearby_cells(21.0285, 105.8542, 2000)
    assert field == "area_cell" and len(cells) <= 25
    assert len(cells_within(21.0285, 105.8542, 50)) < 9  # the duplicate finder's corners it cannot reach are left out
