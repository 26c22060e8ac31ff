"""Fitting the shipped mixture's n-gram head and its calibration (served by classifiers/mixture.py).

    python -m classifiers.ensemble --data train.jsonl [voices.jsonl ...] --dev dev.jsonl [...] --model DIR \
        [--threshold-group dev_s1.jsonl dev_s2.jsonl ...]

adds (or refits) the head of an existing model directory; ``classifiers.train --ngram-head``
does the same at the end of training. The auto-routing threshold is the smallest at which the
whole dev AND every ``--threshold-group`` (a subset of the ``--dev`` files, repeatable) reach
95% correct (``calibration.pick_threshold_for_groups``); ensemble.json lists the groups.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from classifiers.base import predictions_from_probabilities
from classifiers.baseline import TfidfClassifier
from classifiers.calibration import calibrate_on_dev
from classifiers.dataset import read_jsonl, variants_of
from classifiers.metrics import report, summary
from classifiers.mixture import ENSEMBLE_FILE, NGRAM_DIR, EnsembleClassifier


def read_dev(paths: list[str], group_paths: list[list[str]] | None = None) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The dev rows of ``paths`` concatenated, and the threshold groups as row indices by name.

    The first group is the whole dev; each of ``group_paths`` must name files among ``paths``.
    """
    rows: list[dict] = []
    spans: dict[Path, np.ndarray] = {}
    for path in paths:
        start = len(rows)
        rows.extend(read_jsonl(path))
        spans[Path(path).resolve()] = np.arange(start, len(rows))
    groups = {group_name(paths): np.arange(len(rows))}
    for files in group_paths or []:
        missing = [f for f in files if Path(f).resolve() not in spans]
        if missing:
            raise SystemExit(f"--threshold-group files must be among the --dev files: {missing}")
        groups[group_name(files)] = np.concatenate([spans[Path(f).resolve()] for f in files])
    return rows, groups


def group_name(paths: list[str]) -> str:
    return " + ".join(Path(path).name for path in paths)


def attach_ngram_head(
    model_dir: Path,
    train_rows: list[dict],
    dev_rows: list[dict],
    seed: int = 13,
    groups: dict[str, np.ndarray] | None = None,
) -> dict:
    """Fit the n-gram head, save it, fit the mixture's threshold on dev; returns the dev report.

    ``groups`` (from ``read_dev``; default: the whole dev, named "dev") must each reach the target.
    """
    groups = groups or {"dev": np.arange(len(dev_rows))}
    from classifiers.transformer import TransformerClassifier

    dev_texts, dev_categories = [r["text"] for r in dev_rows], [r["category"] for r in dev_rows]
    ngram = TfidfClassifier(seed=seed).fit(
        [r["text"] for r in train_rows], [r["category"] for r in train_rows], dev_texts, dev_categories
    )
    ngram.save(model_dir / NGRAM_DIR)
    transformer = TransformerClassifier(model_dir)
    ensemble = EnsembleClassifier([transformer, ngram], [0.5, 0.5], 1.0, "")
    logits = ensemble.logits(dev_texts)
    y = np.array([ensemble.labels.index(c) for c in dev_categories])
    fitted = calibrate_on_dev(logits, y, groups)
    (model_dir / ENSEMBLE_FILE).write_text(
        json.dumps({"members": ["transformer", NGRAM_DIR], "weights": [0.5, 0.5], **fitted.fields()}, indent=2) + "\n"
    )
    return report(
        dev_categories,
        predictions_from_probabilities(fitted.probabilities, ensemble.labels),
        fitted.threshold,
        variants_of(dev_rows),
    )


def update_card(model_dir: Path, dev_report: dict) -> None:
    """metrics.json keeps the transformer's own dev figures and adds the shipped mixture's."""
    card_file = model_dir / "metrics.json"
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card.setdefault("dev_transformer_only", card.get("dev"))
    card["dev"] = dev_report
    card["size_bytes"] = sum(f.stat().st_size for f in model_dir.rglob("*") if f.is_file())
    card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(summary(dev_report)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, nargs="+", help="training JSONL files (text, category), concatenated")
    p.add_argument(
        "--dev", required=True, nargs="+", help="dev JSONL files: calibration and threshold (the style-shifted dev)"
    )
    p.add_argument("--model", required=True, help="a transformers model directory written by classifiers.train")
    add_threshold_group_option(p)
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args(argv)
    model_dir = Path(args.model)
    dev_rows, groups = read_dev(args.dev, args.threshold_group)
    update_card(
        model_dir,
        attach_ngram_head(
            model_dir, [row for path in args.data for row in read_jsonl(path)], dev_rows, args.seed, groups
        ),
    )


def add_threshold_group_option(parser: argparse.ArgumentParser) -> None:
    """Shared by this CLI and classifiers.train, so both fit the threshold by the same rule."""
    parser.add_argument(
        "--threshold-group",
        action="append",
        nargs="+",
        metavar="DEV_FILE",
        help="dev files (among --dev) that must reach 95%% correct on their own too; repeatable",
    )


if __name__ == "__main__":
    main()
