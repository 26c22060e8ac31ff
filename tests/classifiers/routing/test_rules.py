"""The routing rule: confident model, unsure model with a plausible resident pick, triage."""

import pytest

from classifiers.base import Prediction
from classifiers.routing.rules import route
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import Ward
from core.settings import Settings

HOAN_KIEM = Ward(code="00070", name="Hoàn Kiếm", kind="Phường")


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load(Settings(mongodb_uri="mongodb://unused").taxonomy_file)


def prediction(*ranked: tuple[str, float]) -> Prediction:
    return Prediction(category=ranked[0][0], confidence=ranked[0][1], top_k=list(ranked))


def test_confident_city_category_goes_to_its_agency(taxonomy):
    decision = route(prediction(("road_damage", 0.97), ("flooding_drainage", 0.02)), None, HOAN_KIEM, taxonomy, 0.8)
    assert (decision.category, decision.agency, decision.reason) == ("road_damage", "construction_dept", "classifier")
    assert decision.agency_name == "Sở Xây dựng Hà Nội" and decision.auto_routed


def test_confident_ward_category_goes_to_the_wards_committee(taxonomy):
    decision = route(prediction(("noise", 0.95)), None, HOAN_KIEM, taxonomy, 0.8)
    assert decision.agency == "ward:00070" and decision.agency_name == "UBND phường Hoàn Kiếm"


def test_unsure_model_follows_a_plausible_resident_pick(taxonomy):
    unsure = prediction(("street_lighting", 0.5), ("power_grid", 0.4), ("fire_hazard", 0.05))
    decision = route(unsure, "power_grid", HOAN_KIEM, taxonomy, 0.8)
    assert (decision.category, decision.agency, decision.reason) == ("power_grid", "evn_hanoi", "resident_pick")


def test_unsure_model_and_implausible_pick_go_to_triage(taxonomy):
    unsure = prediction(("street_lighting", 0.5), ("power_grid", 0.4), ("fire_hazard", 0.05))
    decision = route(unsure, "noise", HOAN_KIEM, taxonomy, 0.8)
    assert (decision.category, decision.agency, decision.reason) == (None, "citizen_center", "low_confidence")
    assert not decision.auto_routed


def test_threshold_is_inclusive(taxonomy):
    assert route(prediction(("pollution", 0.8)), None, HOAN_KIEM, taxonomy, 0.8).reason == "classifier"
    assert route(prediction(("pollution", 0.79)), None, HOAN_KIEM, taxonomy, 0.8).reason == "low_confidence"
