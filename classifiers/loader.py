"""Where the API gets its classifier: the shipped default model unless a path is configured."""

from functools import cache
from pathlib import Path

from classifiers.base import Classifier

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"


@cache
def load_classifier(path: str | None = None) -> Classifier:
    """Load a transformers classifier directory (offline); ``None`` means the shipped default.

    Cached per process: the model is immutable and thread-safe, and every app instance of a
    process (uvicorn worker, test session) shares one copy instead of loading it again.
    """
    from classifiers.transformer import TransformerClassifier  # torch is heavy: import only when loading

    return TransformerClassifier(Path(path) if path else DEFAULT_MODEL_DIR)
