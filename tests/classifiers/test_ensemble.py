"""The n-gram head and the mixture the shipped model serves."""

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.base import weights_digest
from classifiers.baseline import TfidfClassifier
from classifiers.calibration import calibrated_probabilities
from classifiers.dataset import read_jsonl
from classifiers.loader import DEFAULT_MODEL_DIR, load_classifier
from classifiers.mixture import ENSEMBLE_FILE, NGRAM_DIR, EnsembleClassifier
from classifiers.ngram import NgramHead, char_wb_ngrams

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "classifiers" / "data"


@pytest.fixture(scope="module")
def small_head() -> tuple[TfidfClassifier, list[str]]:
    train = read_jsonl(ROOT / "classifiers" / "data" / "train.jsonl")[::8]
    dev = read_jsonl(ROOT / "classifiers" / "data" / "dev.jsonl")[::4]
    head = TfidfClassifier().fit(
        [r["text"] for r in train],
        [r["category"] for r in train],
        [r["text"] for r in dev],
        [r["category"] for r in dev],
    )
    return head, [r["text"] for r in dev]


@pytest.mark.slow  # trains a head (~16 s, module fixture)
def test_ngram_head_round_trips_without_pickle(tmp_path: Path, small_head) -> None:
    head, texts = small_head
    head.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ngram.json", "ngram.safetensors"]
    loaded = TfidfClassifier.load(tmp_path)
    np.testing.assert_allclose(loaded.logits(texts), head.logits(texts), atol=1e-5)
    assert (loaded.labels, loaded.temperature, loaded.threshold) == (head.labels, head.temperature, head.threshold)
    assert loaded.model_version == head.model_version


@pytest.mark.slow  # trains a head (~16 s, module fixture)
def test_a_head_with_other_weights_gets_another_version(tmp_path: Path, small_head) -> None:
    """Reports record the version that classified them; the corrections loop refits the head
    alone, so the head's version must follow its weights, not just its seed."""
    head, _ = small_head
    head.save(tmp_path / "first")
    first = head.model_version
    regression = head.pipeline[-1]
    saved = regression.coef_.copy()
    try:
        regression.coef_ = saved * 1.01
        head.save(tmp_path / "refitted")
    finally:
        regression.coef_ = saved
    assert head.model_version != first
    assert first.startswith("tfidf-char1-5-lr-seed13-") and len(first.rsplit("-", 1)[1]) == 8


class FixedMember:
    """A member with given logits: the mixture arithmetic is tested on numbers we can check."""

    def __init__(self, labels: list[str], logits: list[list[float]], temperature: float = 1.0) -> None:
        self.labels, self._logits, self.temperature = labels, np.array(logits), temperature

    def logits(self, texts: list[str]) -> np.ndarray:
        return self._logits[: len(texts)]


def test_mixture_is_the_weighted_mean_of_member_probabilities() -> None:
    first = FixedMember(["a", "b"], [[np.log(0.9), np.log(0.1)]])
    # the second member lists its labels in another order and needs temperature 2
    second = FixedMember(["b", "a"], [[2 * np.log(0.5), 2 * np.log(0.5)]], temperature=2.0)
    mixture = EnsembleClassifier([first, second], [3, 1], threshold=0.5, model_version="m")
    np.testing.assert_allclose(mixture.probabilities(["t"])[0], [0.75 * 0.9 + 0.25 * 0.5, 0.75 * 0.1 + 0.25 * 0.5])
    prediction = mixture.predict(["t"])[0]
    assert prediction.category == "a" and prediction.confidence == pytest.approx(0.8)
    sharpened = EnsembleClassifier([first, second], [3, 1], threshold=0.5, model_version="m", temperature=0.5)
    assert sharpened.predict(["t"])[0].confidence > 0.8


@pytest.mark.slow  # trains a head (~16 s, module fixture)
def test_members_must_share_labels(small_head) -> None:
    head, _ = small_head
    other = TfidfClassifier()
    other.labels = head.labels[:-1]
    with pytest.raises(ValueError):
        EnsembleClassifier([head, other], [1, 1], threshold=0.5, model_version="m")


def test_shipped_default_serves_the_mixture() -> None:
    spec = json.loads((DEFAULT_MODEL_DIR / ENSEMBLE_FILE).read_text())
    classifier = load_classifier(None)
    assert isinstance(classifier, EnsembleClassifier)
    assert classifier.threshold == spec["threshold"]
    assert (DEFAULT_MODEL_DIR / NGRAM_DIR / "ngram.safetensors").is_file()
    assert "+tfidf" in classifier.model_version
    # both halves of the version name their weights (classifiers.base.weights_digest)
    transformer_version, head_version = classifier.model_version.split("+")
    assert transformer_version.endswith(weights_digest(DEFAULT_MODEL_DIR / "model.safetensors"))
    assert head_version.endswith(weights_digest(DEFAULT_MODEL_DIR / NGRAM_DIR / "ngram.safetensors"))


def test_numpy_head_computes_what_scikit_learn_computes() -> None:
    """The API serves the shipped head without scikit-learn (classifiers/ngram.py): on every
    dev text, and on the analyzer's edge cases, both give the same distribution."""
    directory = DEFAULT_MODEL_DIR / NGRAM_DIR
    fitted, served = TfidfClassifier.load(directory), NgramHead(directory)
    texts = [r["text"] for path in sorted(DATA.glob("shifted/dev_*.jsonl")) for r in read_jsonl(path)]
    texts += ["", "   ", "a", "Ổ  GÀ\t\tto\n quá!!", "😡😡 mất điện", "xe   tải  chở quá tải ngõ 12/3"]
    np.testing.assert_allclose(
        calibrated_probabilities(served.logits(texts), 1.0),
        calibrated_probabilities(fitted.logits(texts), 1.0),
        atol=1e-9,
    )
    assert (served.labels, served.temperature, served.model_version) == (
        fitted.labels,
        fitted.temperature,
        fitted.model_version,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ab", [" ", "a", "b", " ", " a", "ab", "b ", " ab", "ab ", " ab "]),
        ("A  b", [" ", "a", " ", " a", "a ", " a ", " ", "b", " ", " b", "b ", " b "]),
    ],
)
def test_char_wb_ngrams_pads_words_and_counts_short_words_once(text: str, expected: list[str]) -> None:
    assert char_wb_ngrams(text, 1, 5) == expected
