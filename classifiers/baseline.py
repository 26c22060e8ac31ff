"""Baseline: character n-gram TF-IDF + logistic regression.

Character n-grams cope with typos, missing diacritics and abbreviations without any
pretrained knowledge, train in seconds and need no torch; the shipped transformer must
beat this on dev macro-F1 to earn its cost. It implements the same Classifier protocol
(with the same temperature calibration) so the bench and evaluation treat both alike.

Its errors differ from the transformer's (it is strongest on text without diacritics, the
transformer on text with them), so the shipped model also carries one as a second opinion
(classifiers/ensemble.py). It is saved without pickle: loading a model directory must never
execute code from it.
"""

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from classifiers.augment import Augmenter
from classifiers.base import Prediction, calibrated_predictions, weights_digest
from classifiers.calibration import calibrated_probabilities, fit_temperature, pick_threshold
from classifiers.ngram import NGRAM_RANGE
from classifiers.text import normalize

VECTORIZER = {"analyzer": "char_wb", "ngram_range": NGRAM_RANGE, "sublinear_tf": True}


class TfidfClassifier:
    def __init__(self, seed: int = 13, augmented_copies: int = 1) -> None:
        self.seed, self.augmented_copies = seed, augmented_copies
        self.pipeline = make_pipeline(
            TfidfVectorizer(**VECTORIZER, min_df=2), LogisticRegression(C=10.0, max_iter=2000)
        )
        self.temperature, self.threshold = 1.0, 1.0
        self.labels: list[str] = []
        self.model_version = f"tfidf-char1-5-lr-seed{seed}"

    def fit(
        self, texts: list[str], categories: list[str], dev_texts: list[str], dev_categories: list[str]
    ) -> "TfidfClassifier":
        """Train on texts (+ seeded augmented copies), then calibrate on dev like the transformer."""
        augmenter = Augmenter(self.seed)
        all_texts = list(texts) + [augmenter(t) for _ in range(self.augmented_copies) for t in texts]
        self.pipeline.fit([normalize(t) for t in all_texts], list(categories) * (1 + self.augmented_copies))
        self.labels = [str(c) for c in self.pipeline.classes_]
        logits = self.logits(dev_texts)
        y = np.array([self.labels.index(c) for c in dev_categories])
        self.temperature = fit_temperature(logits, y)
        probabilities = calibrated_probabilities(logits, self.temperature)
        self.threshold = pick_threshold(probabilities.max(1), (probabilities.argmax(1) == y).astype(float))
        return self

    def logits(self, texts: list[str]) -> np.ndarray:
        # log-probabilities are logits up to a per-row constant, which softmax ignores
        return self.pipeline.predict_log_proba([normalize(t) for t in texts])

    def predict(self, texts: list[str]) -> list[Prediction]:
        return calibrated_predictions(self, texts)

    def save(self, directory: Path) -> None:
        """Vocabulary and calibration as JSON, weights as safetensors (float32)."""
        directory.mkdir(parents=True, exist_ok=True)
        vectorizer, regression = self.pipeline[0], self.pipeline[-1]
        vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        # contiguous copies: safetensors writes the raw buffer, and coef_ is Fortran-ordered
        save_file(
            {
                "idf": np.ascontiguousarray(vectorizer.idf_, np.float32),
                "coef": np.ascontiguousarray(regression.coef_, np.float32),
                "intercept": np.ascontiguousarray(regression.intercept_, np.float32),
            },
            str(directory / "ngram.safetensors"),
        )
        # the version names these weights: a head refitted by the corrections loop gets a new one
        self.model_version = f"tfidf-char1-5-lr-seed{self.seed}-{weights_digest(directory / 'ngram.safetensors')}"
        (directory / "ngram.json").write_text(
            json.dumps(
                {
                    "model_version": self.model_version,
                    "labels": self.labels,
                    "temperature": self.temperature,
                    "threshold": self.threshold,
                    "vocabulary": vocabulary,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> "TfidfClassifier":
        meta = json.loads((directory / "ngram.json").read_text(encoding="utf-8"))
        weights = load_file(str(directory / "ngram.safetensors"))
        self = cls()
        vectorizer = TfidfVectorizer(**VECTORIZER, vocabulary={g: i for i, g in enumerate(meta["vocabulary"])})
        vectorizer.idf_ = weights["idf"].astype(np.float64)
        regression = LogisticRegression()
        regression.classes_ = np.array(meta["labels"])
        regression.coef_, regression.intercept_ = (
            weights["coef"].astype(np.float64),
            weights["intercept"].astype(np.float64),
        )
        self.pipeline = make_pipeline(vectorizer, regression)
        self.labels, self.model_version = meta["labels"], meta["model_version"]
        self.temperature, self.threshold = meta["temperature"], meta["threshold"]
        return self
