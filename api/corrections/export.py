"""Corrections as classifier training lines: ``{"text", "category", ...}`` JSONL.

``classifiers/data`` reads ``text`` and ``category``; the other fields say where the line
came from. When staff corrected one report several times, only the last label is kept.
"""

import json
from datetime import datetime
from typing import TextIO

from api.corrections.repository import Correction, CorrectionRepository


async def export_corrections(repo: CorrectionRepository, out: TextIO, since: datetime | None = None) -> int:
    latest: dict[str, Correction] = {}
    async for correction in repo.since(since):
        if correction.get("new_category"):
            latest[str(correction["report_id"])] = correction
    for correction in latest.values():
        out.write(
            json.dumps(
                {
                    "text": correction["text"],
                    "category": correction["new_category"],
                    "source": "staff_correction",
                    "report_code": correction["report_code"],
                    "model_category": correction["model_category"],
                    "model_confidence": correction["model_confidence"],
                    "previous_category": correction["old_category"],
                    "corrected_at": correction["at"].isoformat(),
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    return len(latest)
