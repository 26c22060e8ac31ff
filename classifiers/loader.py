"""Where the API gets its classifier: the shipped default model unless a path is configured."""

from functools import cache
from pathlib import Path

from classifiers.base import Classifier

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"


@cache
def load_classifier(path: str | None = None) -> Classifier:
    """Load a transformers classifier directory (offline); ``None`` means the shipped default.

    A directory with an ``ensemble.json`` (the shipped default has one) also loads its
    character n-gram head and serves the mixture (classifiers/mixture.py).

    Cached per process: the model is immutable and thread-safe, and every app instance of a
    process (uvicorn worker, test session) shares one copy instead of loading it again.
    """
    from classifiers.mixture import ENSEMBLE_FILE, load_ensemble
    from classifiers.transformer import TransformerClassifier  # torch is heavy: import only when loading

    model_dir = Path(path) if path else DEFAULT_MODEL_DIR
    transformer = TransformerClassifier(model_dir)
    return load_ensemble(model_dir, transformer) if (model_dir / ENSEMBLE_FILE).exists() else transformer
