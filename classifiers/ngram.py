"""The character n-gram head at serving time, with numpy and scipy.sparse only.

The head is fitted with scikit-learn (``classifiers.baseline.TfidfClassifier``), but serving it
is a sparse vector and one matrix product. Importing scikit-learn for that cost the API process
43 MB of RSS (measured: 520 MB with the model loaded through scikit-learn, 477 MB without),
which is what pushed the intake benchmark's peak over its 600 MB target. SciPy costs nothing
more: the transformers library already imports ``scipy.sparse``. This module reads the same files (``ngram.json``,
``ngram.safetensors``) and computes the same logits as scikit-learn's pipeline; a test holds
the two equal on the dev splits, so a scikit-learn upgrade that changes the analyzer shows.
"""

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.sparse import csr_array

from classifiers.base import Prediction, calibrated_predictions
from classifiers.text import normalize

_RUNS_OF_WHITESPACE = re.compile(r"\s\s+")  # scikit-learn's _white_spaces
NGRAM_RANGE = (1, 5)  # the fitted vectorizer's; classifiers.baseline fits with it
WORD_CACHE = 100_000  # words whose columns are kept (~100 B each); cleared when full


def words(text: str) -> list[str]:
    """scikit-learn's default lower-casing and its whitespace runs folded, split into words."""
    return _RUNS_OF_WHITESPACE.sub(" ", text.lower()).split()


def word_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """``analyzer="char_wb"`` on one word: n-grams of the word padded with one space on both
    sides; a word shorter than n counts once."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if len(padded) <= n:
            grams.append(padded)
            break
        grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's ``analyzer="char_wb"``: every word's n-grams, in order."""
    return [gram for word in words(text) for gram in word_ngrams(word, min_n, max_n)]


class NgramHead:
    """Sublinear TF-IDF of char_wb 1-5-grams, L2-normalised, times the logistic regression."""

    def __init__(self, directory: Path) -> None:
        meta = json.loads((directory / "ngram.json").read_text(encoding="utf-8"))
        weights = load_file(str(directory / "ngram.safetensors"))
        self._index = {gram: i for i, gram in enumerate(meta["vocabulary"])}
        self._idf = weights["idf"].astype(np.float64)
        # (vocabulary, labels): a text's n-grams gather whole contiguous rows
        self._coef_by_column = np.ascontiguousarray(weights["coef"].astype(np.float64).T)
        self._intercept = weights["intercept"].astype(np.float64)
        self.labels: list[str] = meta["labels"]
        self.model_version: str = meta["model_version"]
        self.temperature: float = meta["temperature"]
        self.threshold: float = meta["threshold"]
        self._word_columns: dict[str, list[int]] = {}

    def _columns(self, word: str) -> list[int]:
        """The vocabulary columns of one word's n-grams, cached: a word's n-grams never change,
        and Vietnamese reuses a few thousand syllables, so most words of a text were seen."""
        columns = self._word_columns.get(word)
        if columns is None:
            if len(self._word_columns) >= WORD_CACHE:
                self._word_columns.clear()
            index = self._index
            columns = [i for g in word_ngrams(word, *NGRAM_RANGE) if (i := index.get(g)) is not None]
            self._word_columns[word] = columns
        return columns

    def logits(self, texts: list[str]) -> np.ndarray:
        """Decision values (log-probabilities up to a per-row constant, which softmax ignores).

        The whole batch is one sparse product: per-row numpy calls would cost more than the
        counting itself, and gathering each non-zero's weight row into a dense array first (the
        previous way) moved 80 MB for the 1 620 shifted-dev texts and took longer than the
        counting (0.2-0.6 s against 7-12 ms for scipy's CSR product, same texts and process)."""
        columns: list[int] = []
        counts: list[int] = []
        per_text: list[int] = []
        for text in texts:
            counted: Counter[int] = Counter()
            for word in words(normalize(text)):
                counted.update(self._columns(word))
            columns += counted
            counts += counted.values()
            per_text.append(len(counted))
        row_ids = np.repeat(np.arange(len(texts)), per_text)
        column_ids = np.asarray(columns, dtype=np.int64)
        values = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self._idf[column_ids]
        norms = np.sqrt(np.bincount(row_ids, weights=values * values, minlength=len(texts)))
        values /= np.where(norms > 0, norms, 1.0)[row_ids]
        # each text's non-zeros are consecutive: they are the rows of a CSR matrix as they stand
        row_starts = np.concatenate(([0], np.cumsum(per_text, dtype=np.int64)))
        tfidf = csr_array((values, column_ids, row_starts), shape=(len(texts), len(self._idf)))
        return np.asarray(tfidf @ self._coef_by_column) + self._intercept

    def predict(self, texts: list[str]) -> list[Prediction]:
        return calibrated_predictions(self, texts)
