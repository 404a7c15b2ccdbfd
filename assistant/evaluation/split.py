"""The fixed development/test split of the gold questions, and threshold fitting on the development part.

Thresholds, weights and rules are tuned on the development part only; the test part is reported and
never tuned on. The split is stratified by (language, category, answerable) so both parts hold every
kind of question, and it is decided by a hash of the question id. It is recorded (eval/gold/split.json):
questions added later are split among themselves and never move a recorded one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

DEV, TEST = "dev", "test"


def _rank_key(qid: str, seed: str) -> str:
    return hashlib.sha256(f"{seed}:{qid}".encode()).hexdigest()


def make_split(gold: Sequence[dict], seed: str = "ilo-2026", test_share: float = 0.5) -> dict[str, str]:
    """{question id: "dev" | "test"}: within each stratum, questions ordered by a hash of their id and
    every other one (by `test_share`) put in the test part."""
    strata: dict[tuple, list[str]] = {}
    for g in gold:
        strata.setdefault((g["language"], g["category"], bool(g["answerable"])), []).append(g["id"])
    out: dict[str, str] = {}
    for ids in strata.values():
        ordered = sorted(ids, key=lambda q: _rank_key(q, seed))
        n_test = round(len(ordered) * test_share)
        for i, qid in enumerate(ordered):
            out[qid] = TEST if i < n_test else DEV
    return out


def extend_split(recorded: dict[str, str], questions: Sequence[dict], seed: str = "ilo-2026") -> dict[str, str]:
    """The recorded split with parts for the questions it does not know yet, split among themselves (so a
    new set of questions never moves a recorded one)."""
    new = [q for q in questions if q["id"] not in recorded]
    return recorded | make_split(new, seed)


def read_split(path: Path) -> dict[str, str]:
    """The recorded split; {} when there is none."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {qid: part for part in (DEV, TEST) for qid in data.get(part, [])}


def write_split(path: Path, split: dict[str, str], note: str) -> None:
    record = {
        "note": note,
        DEV: sorted(q for q, p in split.items() if p == DEV),
        TEST: sorted(q for q, p in split.items() if p == TEST),
    }
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def part_of(gold: Sequence[dict], split: dict[str, str], part: str) -> list[dict]:
    """The gold questions of one part; questions the split does not know count as test (never tuned on)."""
    return [g for g in gold if split.get(g["id"], TEST) == part]


class Point(NamedTuple):
    """One question for refusal fitting: its evidence, whether it is answerable, and whether the checks
    after the threshold (answer type, sentence selection) let it through."""

    evidence: float
    answerable: bool
    passes_later_checks: bool = True


def threshold_accuracy(points: Sequence[Point], t: float) -> float:
    return sum(((p.evidence >= t) and p.passes_later_checks) == p.answerable for p in points) / len(points)


def best_threshold(points: Sequence[Point]) -> float:
    """The refusal threshold with the best accuracy (answer when evidence ≥ threshold and the later
    checks pass). Ties go to the middle of the best plateau, which moves least when the points change."""
    if not points:
        return float("nan")
    xs = sorted({p.evidence for p in points})
    candidates = [xs[0] - 1e-6] + [(a + b) / 2 for a, b in zip(xs, xs[1:], strict=False)] + [xs[-1] + 1e-6]
    scores = [threshold_accuracy(points, t) for t in candidates]
    top = max(scores)
    plateau = [t for t, s in zip(candidates, scores, strict=True) if s == top]
    return plateau[len(plateau) // 2]


def cross_validate(points: Sequence[Point], folds: int = 5) -> dict:
    """k-fold cross-validation of the fitted refusal threshold: the threshold fitted on all points, its
    accuracy there, the held-out accuracy over the folds and the per-fold thresholds (their spread says
    how firm the fit is)."""
    pts = list(points)
    fitted = best_threshold(pts)
    out = {
        "threshold": round(fitted, 4),
        "n": len(pts),
        "fit_accuracy": None,
        "cv_accuracy": None,
        "fold_thresholds": [],
    }
    if not pts:
        return out
    out["fit_accuracy"] = round(threshold_accuracy(pts, fitted), 4)
    if len(pts) < folds:
        return out
    correct = 0
    for k in range(folds):
        train = [p for i, p in enumerate(pts) if i % folds != k]
        held = [p for i, p in enumerate(pts) if i % folds == k]
        t = best_threshold(train)
        out["fold_thresholds"].append(round(t, 4))
        correct += threshold_accuracy(held, t) * len(held)
    out["cv_accuracy"] = round(correct / len(pts), 4)
    return out
