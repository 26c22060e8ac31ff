"""Serving a fine-tuned transformers sequence classifier on CPU.

Weights are shipped in fp16 to keep the repository small and up-cast to fp32 on load.
A model as large as MiniLM can be served with its Linear layers dynamically quantised to
int8 (measured: about 2x the batch throughput of fp32 on the 2-core target, for about one
point of macro-F1); calibration.json records whether, because the calibration
(temperature, threshold) is fitted by ``classifiers.train`` through this same class and
so describes exactly the model that serves.
"""

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from classifiers.base import Prediction, calibrated_predictions
from classifiers.text import normalize


class TransformerClassifier:
    def __init__(
        self, model_dir: str | Path, batch_size: int = 32, quantize: bool | None = None, num_threads: int | None = None
    ) -> None:
        model_dir = Path(model_dir)
        if num_threads:
            torch.set_num_threads(num_threads)
        self.labels: list[str] = json.loads((model_dir / "labels.json").read_text(encoding="utf-8"))["labels"]
        calibration_file = model_dir / "calibration.json"
        calibration = json.loads(calibration_file.read_text()) if calibration_file.exists() else {}
        # Before train.py has fitted them: raw softmax, and route nothing automatically.
        self.temperature: float = calibration.get("temperature", 1.0)
        self.threshold: float = calibration.get("threshold", 1.0)
        quantize = calibration.get("int8", False) if quantize is None else quantize
        card_file = model_dir / "metrics.json"
        card = json.loads(card_file.read_text()) if card_file.exists() else {}
        self.model_version: str = card.get("model_version", model_dir.name)
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        model_class: Any = AutoModelForSequenceClassification  # or MeanPoolBert: both load with from_pretrained
        if "MeanPoolBert" in config.get("architectures", []):  # a fine-tuned e5 encoder (classifiers/meanpool.py)
            from classifiers.meanpool import MeanPoolBert

            model_class = MeanPoolBert
        model = model_class.from_pretrained(model_dir, local_files_only=True, dtype=torch.float32).eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        # Fast tokenizers are not safe to share between threads mid-call; the forward pass
        # already uses every core, so serialising calls costs nothing in throughput.
        self._lock = threading.Lock()

    def logits(self, texts: list[str]) -> np.ndarray:
        """Uncalibrated logits, shape (len(texts), len(labels))."""
        normalized = [normalize(t) for t in texts]
        # Sorting by length makes each padded batch nearly rectangular (dynamic padding).
        order = sorted(range(len(normalized)), key=lambda i: len(normalized[i]))
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start : start + self.batch_size]
                encoded = self.tokenizer(
                    [normalized[i] for i in index], padding=True, truncation=True, return_tensors="pt"
                )
                out[index] = self.model(**encoded).logits.float().numpy()
        return out

    def predict(self, texts: list[str]) -> list[Prediction]:
        return calibrated_predictions(self, texts)
