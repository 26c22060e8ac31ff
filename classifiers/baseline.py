"""Baseline: character n-gram TF-IDF + logistic regression.

Character n-grams cope with typos, missing diacritics and abbreviations without any
pretrained knowledge, train in seconds and need no torch; the shipped transformer must
beat this on dev macro-F1 to earn its cost. It implements the same Classifier protocol
(with the same temperature calibration) so the bench and evaluation treat both alike.
"""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from classifiers.augment import Augmenter
from classifiers.base import Prediction, predictions_from_probabilities
from classifiers.calibration import calibrated_probabilities, fit_temperature, pick_threshold
from classifiers.text import normalize


class TfidfClassifier:
    def __init__(self, seed: int = 13, augmented_copies: int = 1) -> None:
        self.seed, self.augmented_copies = seed, augmented_copies
        self.pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, min_df=2),
            LogisticRegression(C=10.0, max_iter=2000),
        )
        self.temperature, self.threshold = 1.0, 1.0
        self.labels: list[str] = []
        self.model_version = f"tfidf-char1-5-lr-seed{seed}"

    def fit(self, texts: list[str], categories: list[str], dev_texts: list[str], dev_categories: list[str]) -> "TfidfClassifier":
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
        if not texts:
            return []
        return predictions_from_probabilities(calibrated_probabilities(self.logits(texts), self.temperature), self.labels)
