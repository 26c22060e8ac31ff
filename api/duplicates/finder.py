"""Which open reports a new one may repeat: same category, within metres, recent, similar text.

The geo query (index ``duplicates``: category, location, created_at) finds the candidates;
character-trigram Jaccard on the folded text (lowercase, no diacritics, abbreviations
expanded) keeps those that talk about the same thing, so "ổ gà to" and "o ga rat to" match
while a different pothole report three doors down with other words ranks lower. Candidates
are shown to the author only as code, status and an excerpt: never another resident's
identity or exact position.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.reports.repository import ReportRepository
from api.triage.workflow import OPEN_STATUSES
from classifiers.text import normalize, strip_diacritics

MAX_CANDIDATES = 50
MAX_SHOWN = 5
EXCERPT_CHARS = 140


def trigrams(text: str) -> set[str]:
    folded = strip_diacritics(normalize(text))
    return {f" {word} "[i:i + 3] for word in folded.split() for i in range(len(word))}


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of character trigrams: 1.0 for the same words, 0.0 for nothing shared."""
    first, second = trigrams(a), trigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0


@dataclass(frozen=True)
class DuplicateRules:
    radius_m: float
    window_days: int
    min_similarity: float


class DuplicateFinder:
    def __init__(self, reports: ReportRepository, rules: DuplicateRules) -> None:
        self._reports = reports
        self._rules = rules

    async def possible_duplicates(self, category: str | None, lng: float, lat: float, text: str,
                                  now: datetime) -> list[dict[str, Any]]:
        if category is None:
            return []
        since = now - timedelta(days=self._rules.window_days)
        candidates = await self._reports.nearby_open(category, lng, lat, self._rules.radius_m, since, OPEN_STATUSES,
                                                     MAX_CANDIDATES)
        scored = [(similarity(text, c["description"]), c) for c in candidates]
        kept = sorted((pair for pair in scored if pair[0] >= self._rules.min_similarity), key=lambda p: -p[0])
        return [{"id": str(c["_id"]), "code": c["code"], "status": c["status"], "category": c["category"],
                 "description": c["description"][:EXCERPT_CHARS], "similarity": round(score, 2),
                 "created_at": c["created_at"]} for score, c in kept[:MAX_SHOWN]]
