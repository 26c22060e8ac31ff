"""Ward resolution over Hanoi's 126 ward polygons (shared/data/README.md lists the checks)."""

import pytest

from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import WardIndex
from core.settings import Settings


@pytest.fixture(scope="module")
def wards() -> WardIndex:
    return WardIndex.load(Settings(mongodb_uri="mongodb://unused").wards_file)


@pytest.mark.parametrize(
    "lat, lng, name",
    [
        (21.0285, 105.8542, "Hoàn Kiếm"),  # the lake
        (21.0368, 105.8342, "Ba Đình"),
        (21.1386, 105.5056, "Sơn Tây"),
    ],
)
def test_known_places(wards, lat, lng, name):
    assert wards.locate(lat, lng).name == name


@pytest.mark.parametrize("lat, lng", [(10.7769, 106.7009), (21.0, 106.5), (20.2, 105.8), (float("nan"), 105.8)])
def test_points_outside_hanoi(wards, lat, lng):
    assert wards.locate(lat, lng) is None


def test_all_126_wards_load_and_repair(wards):
    assert len(wards) == 126
    assert wards.by_code("00070").name == "Hoàn Kiếm"


def test_taxonomy_data_is_complete():
    taxonomy = Taxonomy.load(Settings(mongodb_uri="mongodb://unused").taxonomy_file)
    assert len(taxonomy.categories) == 18
    assert {c.routing for c in taxonomy.categories.values()} == {"city", "ward"}
    assert taxonomy.categories["noise"].agency == "ward"
    assert taxonomy.triage_agency == "citizen_center"
