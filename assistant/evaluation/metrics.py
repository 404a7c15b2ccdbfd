"""Pure metric functions: ranking metrics, answer-text parsing, bootstrap confidence intervals."""

from __future__ import annotations

import math
import re

import numpy as np

# An answer statement is text followed by one or more citation labels: "…。 [¶12] [fn 3]".
_CITED = re.compile(r"(?P<text>[^\[\]]+?)\s*(?P<labels>(?:\[[^\[\]]{1,40}\]\s*)+)")
_LABEL = re.compile(r"\[([^\[\]]{1,40})\]")
# Lead-ins are framing, not claims: "According to …:", "根据 …：", "The text of ¶12 …:", "¶12 原文如下：".
# A structural answer's lead line ("The plan has 13 deliverables for 2019 (per focus area: 4, 4, 3, 2):") frames the
# units it lists; its count is read off the structure, not from any one cited unit.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:According to|The text of)[^\n]{0,240}?[:：]\s*\n"  # a model name in it may hold a colon
    r"|(?:根据|[^\n]{0,40}原文如下)[^\n：]{0,160}：\s*"
    r"|[^\n\[\]]{1,200}[:：]\s*\n)"
)


def hit_at(ranked: list[str], gold: set[str], k: int) -> float:
    return float(any(u in gold for u in ranked[:k]))


def recall_at(ranked: list[str], gold: set[str], k: int) -> float:
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def reciprocal_rank(ranked: list[str], gold: set[str], k: int = 10) -> float:
    for rank, u in enumerate(ranked[:k], 1):
        if u in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: list[str], gold: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k."""
    dcg = sum(1.0 / math.log2(i + 2) for i, u in enumerate(ranked[:k]) if u in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def cited_statements(answer: str) -> list[tuple[str, list[str]]]:
    """(statement, [labels]) for every statement of the answer that carries citations.

    A lead-in such as "According to GB.334/INS/3/1:" is cut off the first statement: it is not a claim.
    """
    out = []
    for m in _CITED.finditer(answer):
        text = m["text"].strip()
        if not out:
            text = _LEAD_IN.sub("", text, count=1)
        labels = _LABEL.findall(m["labels"])
        text = text.strip(" .。;；,，")
        if text:
            out.append((text.strip(), labels))
    return out


def uncited_labels(answer: str) -> str:
    """The answer's words without its citation labels (which are the same in every language)."""
    return _LABEL.sub(" ", answer)


def uncited_text(answer: str) -> str:
    """What remains of an answer once its cited statements are removed (lead-ins, uncited claims)."""
    return _CITED.sub(" ", answer).strip()


def bootstrap_ci(values: list[float], n: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95% percentile-bootstrap interval; (nan, nan, nan) for no values."""
    if not values:
        return (math.nan, math.nan, math.nan)
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n, len(x)))].mean(axis=1)
    return (float(x.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else math.nan
