"""The character n-gram head at serving time, in numpy alone.

The head is fitted with scikit-learn (``classifiers.baseline.TfidfClassifier``), but serving it
is a sparse vector and one matrix product. Importing scikit-learn for that cost the API process
43 MB of RSS (measured: 520 MB with the model loaded through scikit-learn, 477 MB without),
which is what pushed the intake benchmark's peak over its 600 MB target. (SciPy stays: the
transformers library imports it.) This module reads the same files (``ngram.json``,
``ngram.safetensors``) and computes the same logits as scikit-learn's pipeline; a test holds
the two equal on the dev splits, so a scikit-learn upgrade that changes the analyzer shows.
"""

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from classifiers.base import Prediction, calibrated_predictions
from classifiers.text import normalize

_RUNS_OF_WHITESPACE = re.compile(r"\s\s+")  # scikit-learn's _white_spaces
NGRAM_RANGE = (1, 5)  # the fitted vectorizer's; classifiers.baseline fits with it


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's ``analyzer="char_wb"`` after its default lower-casing: n-grams inside
    each word padded with one space on both sides; a word shorter than n counts once."""
    grams: list[str] = []
    for word in _RUNS_OF_WHITESPACE.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(min_n, max_n + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


class NgramHead:
    """Sublinear TF-IDF of char_wb 1-5-grams, L2-normalised, times the logistic regression."""

    def __init__(self, directory: Path) -> None:
        meta = json.loads((directory / "ngram.json").read_text(encoding="utf-8"))
        weights = load_file(str(directory / "ngram.safetensors"))
        self._index = {gram: i for i, gram in enumerate(meta["vocabulary"])}
        self._idf = weights["idf"].astype(np.float64)
        self._coef = weights["coef"].astype(np.float64)  # (labels, vocabulary)
        self._intercept = weights["intercept"].astype(np.float64)
        self.labels: list[str] = meta["labels"]
        self.model_version: str = meta["model_version"]
        self.temperature: float = meta["temperature"]
        self.threshold: float = meta["threshold"]

    def logits(self, texts: list[str]) -> np.ndarray:
        """Decision values (log-probabilities up to a per-row constant, which softmax ignores).

        The whole batch is one sparse product done with flat numpy arrays: per-row numpy calls
        would cost more than the counting itself."""
        grams: list[str] = []
        counts: list[int] = []
        per_text: list[int] = []
        for text in texts:
            counted = Counter(char_wb_ngrams(normalize(text), *NGRAM_RANGE))
            grams += counted
            counts += counted.values()
            per_text.append(len(counted))
        get = self._index.get
        column_ids = np.array([get(gram, -1) for gram in grams], dtype=np.int64)
        known = column_ids >= 0
        row_ids = np.repeat(np.arange(len(texts)), per_text)[known]
        column_ids = column_ids[known]
        values = (1.0 + np.log(np.asarray(counts, dtype=np.float64)[known])) * self._idf[column_ids]
        norms = np.sqrt(np.bincount(row_ids, weights=values * values, minlength=len(texts)))
        values /= np.where(norms > 0, norms, 1.0)[row_ids]
        out = np.tile(self._intercept, (len(texts), 1))
        contributions = self._coef[:, column_ids] * values  # (labels, non-zeros)
        for label in range(len(self.labels)):
            out[:, label] += np.bincount(row_ids, weights=contributions[label], minlength=len(texts))
        return out

    def predict(self, texts: list[str]) -> list[Prediction]:
        return calibrated_predictions(self, texts)
