"""The Open311 service list: one service per taxonomy category, with optional attributes.

Attributes (the spec's extra questions, e.g. the size of a pothole) are data in
``attributes.json`` so a city adds or changes them without code. Submitted answers are
checked here against their declared type before anything is written.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.open311.formats import Open311Error
from api.open311.schemas import AttributeOut, AttributeValueOut, ServiceDefinitionOut, ServiceOut
from classifiers.routing.taxonomy import Taxonomy

ATTRIBUTES_FILE = Path(__file__).with_name("attributes.json")
_MAX_ANSWER = 200


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    datatype: str
    required: bool
    description_vi: str
    description_en: str
    values: tuple[dict[str, str], ...] = ()

    def out(self, order: int, english: bool) -> AttributeOut:
        return AttributeOut(
            code=self.code,
            datatype=self.datatype,
            required=self.required,
            order=order,
            description=self.description_en if english else self.description_vi,
            values=[
                AttributeValueOut(key=v["key"], name=v["name_en"] if english else v["name_vi"]) for v in self.values
            ],
        )

    def parse(self, answers: list[str]) -> Any:
        """The typed answer, or Open311Error 400 naming the attribute."""
        keys = [v["key"] for v in self.values]
        if self.datatype == "multivaluelist":
            if any(a not in keys for a in answers):
                raise Open311Error(400, "open311.attribute_invalid", code=self.code)
            return answers
        answer = answers[-1].strip()
        if self.datatype == "singlevaluelist" and answer not in keys:
            raise Open311Error(400, "open311.attribute_invalid", code=self.code)
        if self.datatype == "number":
            try:
                number = float(answer)
            except ValueError as exc:
                raise Open311Error(400, "open311.attribute_invalid", code=self.code) from exc
            if not math.isfinite(number):
                raise Open311Error(400, "open311.attribute_invalid", code=self.code)
            return number
        if len(answer) > _MAX_ANSWER:
            raise Open311Error(400, "open311.attribute_invalid", code=self.code)
        return answer


class ServiceCatalogue:
    def __init__(self, taxonomy: Taxonomy, attributes: dict[str, tuple[AttributeSpec, ...]]) -> None:
        unknown = set(attributes) - set(taxonomy.categories)
        if unknown:
            raise ValueError(f"attributes for unknown categories: {sorted(unknown)}")
        self._taxonomy = taxonomy
        self._attributes = attributes

    @classmethod
    def load(cls, taxonomy: Taxonomy, path: Path = ATTRIBUTES_FILE) -> "ServiceCatalogue":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))["services"]
        attributes = {
            code: tuple(AttributeSpec(**{**spec, "values": tuple(spec.get("values", ()))}) for spec in specs)
            for code, specs in raw.items()
        }
        return cls(taxonomy, attributes)

    def exists(self, code: str | None) -> bool:
        return code in self._taxonomy.categories

    def service_name(self, code: str | None, english: bool) -> str | None:
        category = self._taxonomy.categories.get(code or "")
        if category is None:
            return None
        return category.name_en if english else category.name_vi

    def services(self, english: bool) -> list[ServiceOut]:
        out = []
        for category in self._taxonomy.categories.values():
            agency = self._taxonomy.agencies[category.agency]
            out.append(
                ServiceOut(
                    service_code=category.code,
                    service_name=category.name_en if english else category.name_vi,
                    description=category.covers,
                    metadata=bool(self._attributes.get(category.code)),
                    keywords=category.covers,
                    group=agency.name_en if english else agency.name_vi,
                )
            )
        return out

    def definition(self, code: str, english: bool) -> ServiceDefinitionOut:
        if code not in self._taxonomy.categories:
            raise Open311Error(404, "open311.service_not_found", code=code[:64])
        specs = self._attributes.get(code, ())
        return ServiceDefinitionOut(
            service_code=code, attributes=[spec.out(order, english) for order, spec in enumerate(specs, 1)]
        )

    def parse_attributes(self, code: str, raw: dict[str, list[str]]) -> dict[str, Any]:
        """``attribute[...]`` answers of a request, typed; unknown ones refused, required ones enforced."""
        specs = {spec.code: spec for spec in self._attributes.get(code, ())}
        unknown = sorted(set(raw) - set(specs))
        if unknown:
            raise Open311Error(400, "open311.attribute_unknown", code=unknown[0][:64])
        answers: dict[str, Any] = {}
        for spec in specs.values():
            given = [a for a in raw.get(spec.code, []) if a.strip()]
            if not given:
                if spec.required:
                    raise Open311Error(400, "open311.attribute_required", code=spec.code)
                continue
            answers[spec.code] = spec.parse(given)
        return answers
