"""Who supervises whom: the chain a late report escalates up and an appeal goes to.

Data (``supervision.json``), not code: each agency code names its supervising body, every
ward's People's Committee (``ward:<code>``) answers to one body, and the chain ends at
``top`` (the city's leadership), which has no supervisor. Loading checks that every agency of
the routing taxonomy has a supervisor and that the chain reaches the top without a loop, so
a typo fails at start-up instead of leaving a report with nowhere to go.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from classifiers.routing.rules import WARD_AGENCY_PREFIX
from classifiers.routing.taxonomy import Taxonomy

WARD_ROUTING = "ward"  # the taxonomy's stand-in for "the ward's committee", never a handling agency itself


@dataclass(frozen=True)
class SupervisionChain:
    top: str
    ward_supervisor: str
    supervisors: dict[str, str]
    bodies: dict[str, dict[str, str]]  # bodies that are not routing agencies (the top), with names

    @classmethod
    def load(cls, path: Path, taxonomy: Taxonomy) -> "SupervisionChain":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        chain = cls(
            top=raw["top"],
            ward_supervisor=raw["ward_supervisor"],
            supervisors=dict(raw["supervisors"]),
            bodies=dict(raw.get("bodies", {})),
        )
        known = set(taxonomy.agencies) | set(chain.bodies)
        for body in {*taxonomy.agencies, *chain.supervisors} - {WARD_ROUTING, chain.top}:
            seen: list[str] = []
            while body != chain.top:
                if body in seen or body not in chain.supervisors:
                    raise ValueError(f"supervision: {' -> '.join([*seen, body])} never reaches {chain.top}")
                if chain.supervisors[body] not in known:
                    raise ValueError(f"supervision: unknown body {chain.supervisors[body]}")
                seen.append(body)
                body = chain.supervisors[body]
        return chain

    def supervisor_of(self, body: str) -> str | None:
        """The body one level up (None above the top)."""
        if body.startswith(WARD_AGENCY_PREFIX):
            return self.ward_supervisor
        return None if body == self.top else self.supervisors.get(body, self.top)
