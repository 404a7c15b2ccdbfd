"""The support judge: does a cited unit support a statement of an answer?

Offline and multilingual, in two steps:
1. exact containment: the statement, normalised (spaces and footnote markers dropped), is a substring
   of the unit's text; quoted text is supported by definition;
2. otherwise, embedding similarity: the best cosine similarity between the statement (embedded as a
   query) and the unit's sentences or whole text (embedded as documents) must reach a threshold
   calibrated on the hand-labelled pairs in eval/gold/support.jsonl (`python -m assistant eval --judge`).
3. and it checks details: every number, year, month, percentage and GB symbol of the statement must be
   in the unit's text (in whatever language it is written: '6 月' is June), else the statement is not
   supported however similar it is; a changed year or amount is the commonest way to misquote a paper.
It judges topical support, not logic; the agreement figures in eval/README.md say how often it agrees
with the hand labels.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from ..documents.text import split_sentences
from ..documents.versions import missing_details

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

    def seed(self, vectors: dict[str, np.ndarray]) -> None:
        """Document vectors computed elsewhere (the index's sentence vectors, same model and prompt)."""
        with self._lock:
            self._doc_cache.update(vectors)

    def match(self, statement: str, unit_texts: list[str]) -> list[tuple[float, str, str]]:
        """For each unit text: (support score in [-1, 1], 'exact' or 'embedding', the best-matching piece).

        The statement is embedded once, however many units it is checked against.
        """
        out: list[tuple[float, str, str] | None] = []
        norm = normalise(statement)
        for text in unit_texts:
            exact = next((p for p in split_sentences(text) if norm and norm in normalise(p)), None)
            if exact or (norm and norm in normalise(text)):
                out.append((1.0, "exact", exact or text))
            else:
                out.append(None)
        if any(x is None for x in out):
            q = self.embedder.embed_query(statement)
            for i, text in enumerate(unit_texts):
                if out[i] is None:
                    pieces = [text, *split_sentences(text)]
                    sims = self._doc_vectors(pieces) @ q
                    best = int(np.argmax(sims[1:])) + 1 if len(pieces) > 1 else 0
                    out[i] = (float(sims.max()), "embedding", pieces[best])
        for i, text in enumerate(unit_texts):
            if out[i][1] != "exact" and missing_details(statement, text):  # a detail the unit does not state
                out[i] = (min(out[i][0], -1.0), "detail", out[i][2])
        return out  # type: ignore[return-value]

    def score(self, statement: str, unit_text: str) -> tuple[float, str]:
        """(support score in [-1, 1], how it was judged: 'exact' or 'embedding')."""
        sc, how, _ = self.match(statement, [unit_text])[0]
        return sc, how

    def supports(self, statement: str, unit_text: str) -> bool:
        return self.score(statement, unit_text)[0] >= self.threshold
