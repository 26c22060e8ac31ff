"""Benchmark the report classifier against its serving targets, next to the TF-IDF baseline.

    python bench/classifier.py [--model DIR] [--n 200] [--json OUT]

Measures, in one process on this machine: load time, added RSS, single-report latency
(p50/p99 over ~200 dev texts), batch throughput over the whole dev split, size on disk,
and dev macro-F1 (overall and per variant). The baseline is trained here on train.jsonl
(seconds). PASS/FAIL lines apply to the served model (the shipped one: transformer + n-gram head).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.dataset import read_jsonl, variants_of  # noqa: E402
from classifiers.metrics import report  # noqa: E402

DATA = ROOT / "classifiers" / "data"
TARGETS = {  # name: (limit, True when higher is better)
    "macro_f1": (0.92, True), "macro_f1_vi_nodiac": (0.88, True), "p50_ms": (15.0, False),
    "throughput_per_s": (300.0, True), "load_s": (5.0, False), "added_rss_mb": (600.0, False),
    "size_mb": (50.0, False),
}


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def measure(classifier, dev: list[dict], n_single: int) -> dict:
    texts = [r["text"] for r in dev]
    classifier.predict(texts[:8])  # warm-up: first calls allocate and pick kernels
    latencies = []
    for text in texts[:n_single]:
        started = time.perf_counter()
        classifier.predict([text])
        latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    predictions = classifier.predict(texts)
    throughput = len(texts) / (time.perf_counter() - started)
    scores = report([r["category"] for r in dev], predictions, classifier.threshold, variants_of(dev))
    by_variant = scores.get("macro_f1_by_variant", {})
    return {
        "model_version": classifier.model_version,
        "macro_f1": round(scores["macro_f1"], 4),
        **{f"macro_f1_{v}": round(f, 4) for v, f in by_variant.items()},
        "ece": round(scores["ece"], 4),
        "threshold": round(scores["threshold"], 4),
        "auto_route_rate": round(scores["auto_route_rate"], 4),
        "auto_route_accuracy": round(scores["auto_route_accuracy"] or 0.0, 4),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "throughput_per_s": round(throughput, 1),
    }


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--n", type=int, default=200, help="texts for the single-report latency")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    dev, train = read_jsonl(DATA / "dev.jsonl"), read_jsonl(DATA / "train.jsonl")

    import torch  # imported before the RSS baseline: the library itself is not the model's cost

    from classifiers.loader import DEFAULT_MODEL_DIR, load_classifier

    model_dir = Path(args.model) if args.model else DEFAULT_MODEL_DIR
    before = rss_mb()
    started = time.perf_counter()
    classifier = load_classifier(str(model_dir))
    load_s = time.perf_counter() - started
    results = {"transformer": {"load_s": round(load_s, 2), "size_mb": round(dir_size_mb(model_dir), 1),
                               **measure(classifier, dev, args.n), "torch_threads": torch.get_num_threads()}}
    results["transformer"]["added_rss_mb"] = round(rss_mb() - before, 1)
    del classifier

    from classifiers.baseline import TfidfClassifier

    before = rss_mb()
    started = time.perf_counter()
    baseline = TfidfClassifier().fit([r["text"] for r in train], [r["category"] for r in train],
                                     [r["text"] for r in dev], [r["category"] for r in dev])
    results["tfidf_baseline"] = {"fit_s": round(time.perf_counter() - started, 2), **measure(baseline, dev, args.n)}
    results["tfidf_baseline"]["added_rss_mb"] = round(rss_mb() - before, 1)

    print(json.dumps(results, indent=2))
    transformer = results["transformer"]
    for name, (limit, higher_is_better) in TARGETS.items():
        value = transformer[name]
        ok = value >= limit if higher_is_better else value <= limit
        print(f"{'PASS' if ok else 'FAIL'} {name} = {value} (target {'>=' if higher_is_better else '<='} {limit})")
    beats = transformer["macro_f1"] > results["tfidf_baseline"]["macro_f1"]
    print(f"{'PASS' if beats else 'FAIL'} served model's macro_f1 beats the TF-IDF baseline "
          f"({transformer['macro_f1']} vs {results['tfidf_baseline']['macro_f1']})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
