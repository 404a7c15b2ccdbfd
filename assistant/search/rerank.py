"""Reranking between retrieval and answer: a llama-index node postprocessor over the signals this machine
has without a cross-encoder (none installs offline here): the dense and keyword ranks, the unit's and its
best sentence's similarity, whether the unit holds the kind of answer asked for, the unit's kind and its
footnote links. The weights are a linear combination fitted on the development part of the gold set
(`eval/fit_rerank.py`); they live in the settings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .answer_evidence import holds
from .answer_types import STEERING, asked_type

SIGNALS = (
    "fused",  # the retrieval's fused score, relative to the best one (weight 1 and no other: no reranking)
    "dense",  # cosine similarity of question and unit
    "dense_rank",  # 1 / (1 + rank) in the dense ranking
    "keyword_rank",  # 1 / (1 + rank) in the BM25 ranking (0 when BM25 does not find it)
    "sentence",  # best cosine similarity of the question and one of the unit's sentences
    "answer_type",  # the unit holds the kind of answer asked for (a date, a count, a symbol)
    "footnote",  # the unit is a footnote
    "front_matter",  # the unit is the title, the purpose or a field of the cover page
    "cited_by_top",  # a footnote whose marker stands in one of the three best-ranked units
)


def signal_matrix(hits, question: str, sentence_best: dict[str, float]) -> np.ndarray:
    """One row of SIGNALS per hit (hits in fused order; `sentence_best`: unit id → best sentence similarity)."""
    kind = asked_type(question, among=STEERING)
    by_dense = {h.unit.id: i for i, h in enumerate(sorted(hits, key=lambda h: -h.dense)) if h.dense}
    by_keyword = {h.unit.id: i for i, h in enumerate(sorted(hits, key=lambda h: -h.keyword)) if h.keyword > 0}
    top = {h.unit.id for h in hits[:3]}
    best_fused = max((h.score for h in hits), default=0.0) or 1.0
    rows = []
    for h in hits:
        u = h.unit
        rows.append(
            [
                h.score / best_fused,
                h.dense,
                1.0 / (1 + by_dense[u.id]) if u.id in by_dense else 0.0,
                1.0 / (1 + by_keyword[u.id]) if u.id in by_keyword else 0.0,
                sentence_best.get(u.id, h.dense),
                float(kind in STEERING and holds(kind, " ".join(t for _, t, _ in u.versions) + u.plain_text, question)),
                float(u.kind == "footnote"),
                float(u.kind in ("title", "purpose", "field")),
                float(u.kind == "footnote" and bool(set(u.cited_by) & top)),
            ]
        )
    return np.asarray(rows, dtype=float).reshape(len(hits), len(SIGNALS))


def scores(matrix: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    return matrix @ np.asarray([weights.get(s, 0.0) for s in SIGNALS])


def order(matrix: np.ndarray, weights: dict[str, float]) -> list[int]:
    """Row indices best first (ties keep the fused order)."""
    sc = scores(matrix, weights)
    return sorted(range(len(sc)), key=lambda i: (-sc[i], i))


def make_postprocessor(weights: dict[str, float]):
    """A llama-index node postprocessor that orders nodes by the weighted signals in their metadata
    (`metadata["signals"]`, one value per SIGNALS), so the stage can sit in any llama-index pipeline."""
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import NodeWithScore

    class SignalReranker(BaseNodePostprocessor):
        weights: dict[str, float]

        @classmethod
        def class_name(cls) -> str:
            return "SignalReranker"

        def _postprocess_nodes(self, nodes: list[NodeWithScore], query_bundle=None) -> list[NodeWithScore]:
            if not nodes:
                return nodes
            matrix = np.asarray([n.node.metadata["signals"] for n in nodes], dtype=float)
            sc = scores(matrix, self.weights)
            ranked = order(matrix, self.weights)
            return [NodeWithScore(node=nodes[i].node, score=float(sc[i])) for i in ranked]

    return SignalReranker(weights=weights)


def rerank(hits: list, matrix: np.ndarray, postprocessor) -> list:
    """The hits in the postprocessor's order (each hit passes through as a node carrying its signals)."""
    from llama_index.core.schema import NodeWithScore, TextNode

    nodes = [
        NodeWithScore(node=TextNode(id_=h.unit.id, text="", metadata={"signals": row.tolist()}), score=h.score)
        for h, row in zip(hits, matrix, strict=True)
    ]
    by_id = {h.unit.id: h for h in hits}
    return [by_id[n.node.node_id] for n in postprocessor.postprocess_nodes(nodes)]


# --- fitting (eval/fit_rerank.py) ------------------------------------------------------------------
GRID = (-1.0, -0.5, -0.2, -0.1, 0.0, 0.1, 0.2, 0.5, 1.0, 2.0)


def mrr(samples: Sequence[tuple[np.ndarray, np.ndarray]], weights: dict[str, float], k: int = 10) -> float:
    """Mean reciprocal rank of the first gold row; `samples`: (signal matrix, gold mask) per question."""
    total = 0.0
    for matrix, gold in samples:
        for rank, i in enumerate(order(matrix, weights)[:k], 1):
            if gold[i]:
                total += 1.0 / rank
                break
    return total / len(samples) if samples else 0.0


def fit(samples: Sequence[tuple[np.ndarray, np.ndarray]], start: dict[str, float], passes: int = 3) -> dict[str, float]:
    """Weights by coordinate ascent on MRR over a small grid, from `start`; a change must gain, so a
    signal that adds nothing keeps its starting weight (few questions: fewer moves, less overfitting)."""
    w = dict(start)
    best = mrr(samples, w)
    for _ in range(passes):
        improved = False
        for s in SIGNALS:
            for value in GRID:
                trial = w | {s: value}
                score = mrr(samples, trial)
                if score > best + 1e-9:
                    w, best, improved = trial, score, True
        if not improved:
            break
    return w
