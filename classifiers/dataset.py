"""Reading the JSONL report files used for training, evaluation and staff corrections.

Only ``text`` and ``category`` are required, so a staff-corrections export or an external
held-out set can be used as-is; ``variant`` (vi / vi_nodiac / en) is optional metadata.
"""

import json
from pathlib import Path


def read_jsonl(path: str | Path) -> list[dict]:
    rows = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("text"), str) or not isinstance(row.get("category"), str):
                raise ValueError(f"{path}:{number}: each line needs string fields 'text' and 'category'")
            rows.append(row)
    return rows


def variants_of(rows: list[dict]) -> list[str] | None:
    """The per-row variant tags, or None unless every row has one."""
    return [r["variant"] for r in rows] if rows and all("variant" in r for r in rows) else None
