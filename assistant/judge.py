"""The support judge: does a cited unit support a statement of an answer?

Offline and multilingual, in two steps:
1. exact containment: the statement, normalised (spaces and footnote markers dropped), is a substring
   of the unit's text; quoted text is supported by definition;
2. otherwise, embedding similarity: the best cosine similarity between the statement (embedded as a
   query) and the unit's sentences or whole text (embedded as documents) must reach a threshold
   calibrated on the hand-labelled pairs in eval/gold/support.jsonl (`python -m assistant eval --judge`).
It judges topical support, not logic: a statement that changes a number or a year in a sentence it
otherwise repeats can pass; the agreement figures in eval/README.md say how often.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from .sentences import split_sentences

_NOISE = re.compile(r"[\s\u00a0⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def normalise(text: str) -> str:
    return _NOISE.sub("", text).strip(".。;；,，")


class SupportJudge:
    def __init__(self, embedder, threshold: float):
        self.embedder, self.threshold = embedder, threshold
        self._doc_cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _doc_vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._doc_cache]
            if todo:
                self._doc_cache.update(zip(todo, self.embedder.embed_documents(todo), strict=True))
            return np.stack([self._doc_cache[t] for t in texts])

    def score(self, statement: str, unit_text: str) -> tuple[float, str]:
        """(support score in [-1, 1], how it was judged: 'exact' or 'embedding')."""
        if normalise(statement) and normalise(statement) in normalise(unit_text):
            return 1.0, "exact"
        pieces = [unit_text, *split_sentences(unit_text)]
        q = self.embedder.embed_query(statement)
        return float((self._doc_vectors(pieces) @ q).max()), "embedding"

    def supports(self, statement: str, unit_text: str) -> bool:
        return self.score(statement, unit_text)[0] >= self.threshold
