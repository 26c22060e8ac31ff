"""The public grid: close enough to find the street, never the exact fix, stable across reads."""

import math

import pytest

from api.geo import PUBLIC_GRID_DEG, public_location


@pytest.mark.parametrize("lat, lng", [(21.0285, 105.8542), (21.13861, 105.50559), (20.99999, 105.80001), (21.0, 105.8)])
def test_snaps_to_the_centre_of_a_cell_within_about_40_m(lat, lng):
    public = public_location(lat, lng)
    assert public != (lat, lng)
    dlat = (public[0] - lat) * 111_320
    dlng = (public[1] - lng) * 111_320 * math.cos(math.radians(lat))
    assert math.hypot(dlat, dlng) < 40
    assert public_location(*public) == public  # a cell centre stays put


def test_nearby_points_share_a_cell():
    base = public_location(21.02851, 105.85421)
    assert public_location(21.02851 + PUBLIC_GRID_DEG / 10, 105.85421 + PUBLIC_GRID_DEG / 10) == base
