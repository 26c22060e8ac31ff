"""Merge the per-category corpus batches into ``train.jsonl`` and ``dev.jsonl``.

The batches (one file per category, each line tagged with its split) stay the source of
truth; the merged files are derived so that training and evaluation read one file each.
Order is deterministic (category file name, then line order) so a rebuild is byte-identical.
It also regenerates the counts tables in README.md (between the ``counts`` markers), so
the data card never drifts from the data.

    python -m classifiers.data.build
"""

import json
import re
from collections import Counter
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
KEPT_FIELDS = ("text", "category", "variant")
SPLITS = ("train", "dev")
VARIANTS = ("vi", "vi_nodiac", "en")
COUNTS_BLOCK = re.compile(r"(<!-- counts:start -->\n).*?(<!-- counts:end -->)", re.DOTALL)


def read_batches(batch_dir: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(batch_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({k: row[k] for k in KEPT_FIELDS}, ensure_ascii=False) + "\n")


def counts_markdown(rows: list[dict]) -> str:
    """Two markdown tables: split x variant, and category x split."""
    cells = Counter((r["split"], r["variant"]) for r in rows)
    lines = ["| split | " + " | ".join(VARIANTS) + " | total |", "|---" * (len(VARIANTS) + 2) + "|"]
    for split in SPLITS:
        row = [cells[split, v] for v in VARIANTS]
        lines.append(f"| {split} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines += ["", "| category | " + " | ".join(SPLITS) + " |", "|---" * (len(SPLITS) + 1) + "|"]
    per_category = Counter((r["category"], r["split"]) for r in rows)
    for category in sorted({r["category"] for r in rows}):
        lines.append(f"| {category} | " + " | ".join(str(per_category[category, s]) for s in SPLITS) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    rows = read_batches(DATA_DIR / "batches")
    for split in SPLITS:
        write_jsonl(DATA_DIR / f"{split}.jsonl", [r for r in rows if r["split"] == split])
    readme = DATA_DIR / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(
        COUNTS_BLOCK.sub(lambda m: m.group(1) + counts_markdown(rows) + m.group(2), text), encoding="utf-8"
    )
    print(counts_markdown(rows))


if __name__ == "__main__":
    main()
