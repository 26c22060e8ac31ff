"""Which agency gets a report: the classifier's view, the resident's pick and the ward.

The rule, in order:
1. The model is sure (confidence >= threshold): route by its category.
2. The model is unsure, but the resident picked a category and the model ranks that pick
   among its top suggestions: route by the resident's pick. A pick the model finds
   implausible is not trusted blindly (a wrong pick would send the report astray).
3. Otherwise: the citizen service centre's triage queue, with the model's suggestions.
A category routed by "ward" goes to the People's Committee of the ward containing the
report; every other category goes to its one city agency.
"""

from dataclasses import dataclass

from classifiers.base import Prediction
from classifiers.routing.taxonomy import Taxonomy
from classifiers.routing.wards import Ward

WARD_AGENCY_PREFIX = "ward:"


@dataclass(frozen=True)
class RoutingDecision:
    category: str | None  # the category the report is routed under; None when sent to triage
    agency: str
    agency_name: str
    reason: str  # "classifier" | "resident_pick" | "low_confidence"

    @property
    def auto_routed(self) -> bool:
        return self.category is not None


def agency_for(category_code: str, ward: Ward | None, taxonomy: Taxonomy) -> tuple[str, str]:
    """(agency code, Vietnamese name) for a category at a place; ward staff hold ``ward:<code>``.

    Without a place (the classify CLI), a ward-routed category names the generic ward agency.
    """
    category = taxonomy.categories[category_code]
    if category.routing == "ward" and ward is not None:
        return f"{WARD_AGENCY_PREFIX}{ward.code}", f"UBND {ward.kind.lower()} {ward.name}".replace("  ", " ")
    agency = taxonomy.agencies[category.agency]
    return agency.code, agency.name_vi


def route(
    prediction: Prediction, resident_pick: str | None, ward: Ward | None, taxonomy: Taxonomy, threshold: float
) -> RoutingDecision:
    if prediction.confidence >= threshold and prediction.category in taxonomy.categories:
        return RoutingDecision(prediction.category, *agency_for(prediction.category, ward, taxonomy), "classifier")
    suggested = {code for code, _ in prediction.top_k}
    if resident_pick in taxonomy.categories and resident_pick in suggested:
        return RoutingDecision(resident_pick, *agency_for(resident_pick, ward, taxonomy), "resident_pick")
    triage = taxonomy.agencies[taxonomy.triage_agency]
    return RoutingDecision(None, triage.code, triage.name_vi, "low_confidence")
