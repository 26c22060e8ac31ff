"""The category and agency tables, loaded from ``data/taxonomy.json`` (see shared/taxonomy.md)."""

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Agency:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Category:
    code: str
    name_vi: str
    name_en: str
    covers: str
    agency: str
    routing: str  # "city": one agency everywhere; "ward": the ward's People's Committee


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, Category]
    agencies: dict[str, Agency]
    triage_agency: str

    @property
    def codes(self) -> list[str]:
        return list(self.categories)

    @classmethod
    def load(cls, path: Path) -> "Taxonomy":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        agencies = {a["code"]: Agency(**a) for a in raw["agencies"]}
        categories = {c["code"]: Category(**c) for c in raw["categories"]}
        for category in categories.values():
            if category.agency not in agencies:
                raise ValueError(f"category {category.code} routes to unknown agency {category.agency}")
            if category.routing not in ("city", "ward"):
                raise ValueError(f"category {category.code} has unknown routing kind {category.routing}")
        if raw["triage_agency"] not in agencies:
            raise ValueError(f"unknown triage agency {raw['triage_agency']}")
        return cls(categories=categories, agencies=agencies, triage_agency=raw["triage_agency"])
