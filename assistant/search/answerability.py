"""Whether a paper leaves a question unanswered, learned from labelled questions about that paper.

Similarity and answer-type patterns miss questions that ask for a detail the paper leaves out in words no
pattern knows ("lessons learned", "the legal basis", "who reacted how"). A logistic regression over the
question's embedding and its evidence, fitted on the development part of the gold sets
(`eval/fit_answerability.py`), scores how likely the paper is to leave a question unanswered. It knows one
paper as it was when fitted: it judges only answers whose quoted units all come from that paper while the
paper's units are unchanged (a fingerprint of them), so a corrected text or another document is judged
without it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILE = "answerability.json"  # in the corpus folder, beside the term base


def fingerprint(units: Sequence) -> str:
    """A short hash of a document's units (ids and printed texts): any change to the paper changes it."""
    h = hashlib.sha256()
    for u in units:
        h.update(f"{u.id}\t{u.text}\n".encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class AnswerabilityModel:
    doc: str  # the document id it was fitted on
    fingerprint: str  # of that document's units when fitted
    embed_model: str  # whose query vectors it reads
    weights: np.ndarray  # one per vector dimension, then one for the evidence
    bias: float
    threshold: float  # refuse above this probability (fitted by cross-validation on the development part)

    def unanswered(self, query_vec: np.ndarray, evidence: float) -> float:
        """The probability that the paper leaves the question unanswered."""
        z = float(np.dot(self.weights[:-1], query_vec) + self.weights[-1] * evidence + self.bias)
        return 1.0 / (1.0 + np.exp(-z))

    def judges(self, docs: set[str], current_fingerprint: str, embed_model: str) -> bool:
        """Whether it may judge an answer quoting units of `docs` (the paper unchanged, the same model)."""
        return docs == {self.doc} and current_fingerprint == self.fingerprint and embed_model == self.embed_model

    def to_json(self) -> str:
        return json.dumps(
            {
                "doc": self.doc,
                "fingerprint": self.fingerprint,
                "embed_model": self.embed_model,
                "threshold": self.threshold,
                "bias": self.bias,
                "weights": [round(float(w), 6) for w in self.weights],
            }
        )


def load(path: Path) -> AnswerabilityModel | None:
    """The model in `path`; None when there is none or it cannot be read (the engine then judges without it)."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return AnswerabilityModel(
            d["doc"],
            d["fingerprint"],
            d["embed_model"],
            np.asarray(d["weights"], float),
            float(d["bias"]),
            float(d["threshold"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method, classes weighted to count equally (y: 1 for
    unanswered). Returns (weights, bias); the bias is not regularised."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    pos = max(int(y.sum()), 1)
    sample = np.where(y == 1, n / (2 * pos), n / (2 * max(n - pos, 1)))
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (sample * (p - y)) + reg * w
        hess = (xb * (sample * p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])
