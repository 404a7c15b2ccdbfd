"""Score answers against the gold set: retrieval (hit@k, MRR), refusals, cited units, key facts.

Works on answers in the JSON answer format, so answers from any system can be scored alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold" / "questions.jsonl"


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def first_gold_rank(retrieved_ids: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first gold unit among the retrieved, or None."""
    for rank, uid in enumerate(retrieved_ids, 1):
        if uid in gold:
            return rank
    return None


def key_fact_hits(answer: str, facts: list[dict]) -> list[bool]:
    low = answer.lower()
    return [any(v and v.lower() in low for v in (f.get("zh"), f.get("en"))) for f in facts]


@dataclass
class QuestionScore:
    id: str
    category: str
    language: str
    answerable: bool
    answered: bool
    rank: int | None  # first gold unit in the retrieved list
    cited_gold: bool  # a gold unit is among the citations
    facts: list[bool]
    evidence: float | None
    total_ms: float | None


def score_one(gold: dict, answer: dict) -> QuestionScore:
    retrieved = [r["id"] for r in answer.get("retrieved", [])]
    cited = [c.get("id") or f"{c['doc']}:{c['label']}" for c in answer.get("citations", [])]
    g = gold.get("gold", [])
    return QuestionScore(
        id=gold["id"],
        category=gold["category"],
        language=gold["language"],
        answerable=gold["answerable"],
        answered=bool(answer.get("answered")),
        rank=first_gold_rank(retrieved, g) if g else None,
        cited_gold=any(c in g for c in cited),
        facts=key_fact_hits(answer.get("answer", ""), gold.get("key_facts", [])) if answer.get("answered") else [],
        evidence=answer.get("evidence"),
        total_ms=(answer.get("timings_ms") or {}).get("total_ms"),
    )


def summarise(scores: list[QuestionScore], k: int = 5) -> dict[str, float]:
    ans = [s for s in scores if s.answerable]
    unans = [s for s in scores if not s.answerable]
    refused = [s for s in scores if not s.answered]
    n_facts = sum(len(s.facts) or 1 for s in ans)
    out = {
        "questions": len(scores),
        f"hit@{k}": _mean([s.rank is not None and s.rank <= k for s in ans]),
        "hit@1": _mean([s.rank == 1 for s in ans]),
        "mrr@10": _mean([1 / s.rank if s.rank and s.rank <= 10 else 0.0 for s in ans]),
        "cited_gold": _mean([s.cited_gold for s in ans]),
        "key_facts": sum(sum(s.facts) for s in ans) / n_facts if ans else 0.0,
        "refusal_accuracy": _mean([s.answered == s.answerable for s in scores]),
        "refusal_precision": _mean([not s.answerable for s in refused]) if refused else 1.0,
        "refusal_recall": _mean([not s.answered for s in unans]) if unans else 1.0,
    }
    times = sorted(s.total_ms for s in scores if s.total_ms is not None)
    if times:
        out["p50_ms"] = times[len(times) // 2]
        out["p95_ms"] = times[min(len(times) - 1, int(len(times) * 0.95))]
    return out


def _mean(xs) -> float:
    xs = list(xs)
    return sum(map(float, xs)) / len(xs) if xs else 0.0


def run(engine, gold: list[dict], retrieval: str = "hybrid") -> tuple[list[dict], list[QuestionScore]]:
    answers, scores = [], []
    for g in gold:
        a = engine.ask(g["question"], g.get("history"), retrieval=retrieval, qid=g["id"]).to_dict()
        answers.append(a)
        scores.append(score_one(g, a))
    return answers, scores


def best_threshold(scores: list[QuestionScore]) -> tuple[float, float]:
    """The evidence threshold that maximises refusal accuracy over these scores (ties: the lowest)."""
    evid = sorted({s.evidence for s in scores if s.evidence is not None})
    best = (0.0, -1.0)
    for t in evid:
        acc = _mean([(s.evidence is None or s.evidence >= t) == s.answerable for s in scores])
        if acc > best[1]:
            best = (t, acc)
    return best
