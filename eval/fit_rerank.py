"""Fit the reranking weights on the development part and show what each signal adds on the test part.

    .venv/bin/python eval/fit_rerank.py [--gold eval/gold/questions.jsonl --gold eval/gold/synthetic.jsonl]

For every answerable question that goes through retrieval (not look-ups, structural or multi-turn ones), the
best `rerank_depth` fused candidates and their signals (assistant/search/rerank.py) are collected once; the
weights are fitted by coordinate ascent on MRR over the development part (5-fold cross-validation says how
well that carries to unseen questions), then the test part is scored without reranking, with it, and with
each signal left out. Prints Markdown tables and the `ILO_RERANK_WEIGHTS` value to put in config.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SKIP = ("lookup", "aggregate", "multi_turn", "unanswerable")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gold", action="append", help="gold files (default: the hand-written and synthetic sets)")
    args = p.parse_args(argv)

    from assistant.config import load_settings
    from assistant.documents.text import language_of
    from assistant.engine import Engine
    from assistant.evaluation import harness as E
    from assistant.evaluation.split import DEV, TEST, read_split
    from assistant.search import rerank as R

    paths = [Path(g) for g in args.gold] if args.gold else [p for p in (E.GOLD, E.SYNTHETIC) if p.exists()]
    gold = [g for path in paths for g in E.load_gold(path) if g["answerable"] and g["category"] not in SKIP]
    split = read_split(E.SPLIT)
    s = load_settings(answer_mode="extractive", rerank=False)
    engine = Engine(s)
    samples = {DEV: [], TEST: []}
    for g in gold:
        lang = language_of(g["question"])
        r = engine.retriever.retrieve(g["question"], k=s.rerank_depth, lang=lang)
        if not r.hits:
            continue
        matrix = R.signal_matrix(r.hits, g["question"], engine.sentence_best(r, lang))
        mask = np.asarray([h.unit.id in set(g["gold"]) for h in r.hits])
        samples[split.get(g["id"], TEST)].append((matrix, mask))

    start = {"fused": 1.0}
    weights = R.fit(samples[DEV], start)
    folds, held = 5, {"fused only": 0.0, "reranked": 0.0}
    dev = samples[DEV]
    for k in range(folds):
        train = [x for i, x in enumerate(dev) if i % folds != k]
        test = [x for i, x in enumerate(dev) if i % folds == k]
        held["fused only"] += R.mrr(test, start) * len(test)
        held["reranked"] += R.mrr(test, R.fit(train, start)) * len(test)

    def hit1(xs, w):
        return sum(bool(m[R.order(x, w)[0]]) for x, m in xs) / len(xs) if xs else float("nan")

    test = samples[TEST]
    sources = ", ".join(p.name for p in paths)
    print(f"questions: dev {len(dev)}, test {len(test)} (answerable, through retrieval; {sources})\n")
    print("5-fold cross-validation on the development part (MRR@10 on the held-out folds):\n")
    print("| ranking | MRR@10 |\n|---|---|")
    for name, total in held.items():
        print(f"| {name} | {total / len(dev):.3f} |")
    print("\nTest part (never fitted on):\n")
    print("| ranking | hit@1 | MRR@10 |\n|---|---|---|")
    print(f"| fused only (no reranking) | {hit1(test, start):.3f} | {R.mrr(test, start):.3f} |")
    print(f"| reranked (all signals) | {hit1(test, weights):.3f} | {R.mrr(test, weights):.3f} |")
    for sig in R.SIGNALS:
        if sig != "fused" and weights.get(sig, 0.0):
            w = weights | {sig: 0.0}
            print(f"| reranked without {sig} | {hit1(test, w):.3f} | {R.mrr(test, w):.3f} |")
    fitted = {k: v for k, v in weights.items() if v}
    print(f"\nweights fitted on the development part: ILO_RERANK_WEIGHTS='{json.dumps(fitted)}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
