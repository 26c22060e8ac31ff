"""Merge the per-category corpus batches into ``train.jsonl`` and ``dev.jsonl``.

The batches (one file per category, each line tagged with its split) stay the source of
truth; the merged files are derived so that training and evaluation read one file each.
Order is deterministic (category file name, then line order) so a rebuild is byte-identical.
It also writes ``stats.json`` (counts per category/split/variant), which README.md quotes.

    python -m classifiers.data.build
"""

import json
from collections import Counter
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
KEPT_FIELDS = ("text", "category", "variant")


def read_batches(batch_dir: Path) -> list[dict]:
    rows = []
    for path in sorted(batch_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({k: row[k] for k in KEPT_FIELDS}, ensure_ascii=False) + "\n")


def count(rows: list[dict]) -> dict:
    """Counts per split, per split x variant and per category x split, for the data card."""
    by_split = Counter(r["split"] for r in rows)
    by_variant = Counter(f'{r["split"]}/{r["variant"]}' for r in rows)
    by_category: dict[str, Counter] = {}
    for r in rows:
        by_category.setdefault(r["category"], Counter())[r["split"]] += 1
    return {
        "total": len(rows),
        "by_split": dict(sorted(by_split.items())),
        "by_split_variant": dict(sorted(by_variant.items())),
        "by_category": {c: dict(sorted(n.items())) for c, n in sorted(by_category.items())},
    }


def main() -> None:
    rows = read_batches(DATA_DIR / "batches")
    for split in ("train", "dev"):
        write_jsonl(DATA_DIR / f"{split}.jsonl", [r for r in rows if r["split"] == split])
    stats = count(rows)
    (DATA_DIR / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(stats["by_split_variant"]))


if __name__ == "__main__":
    main()
