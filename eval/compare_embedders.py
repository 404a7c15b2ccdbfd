"""EmbeddingGemma through torch (sentence-transformers) against its ONNX export (onnxruntime): same vectors,
same rankings? Prints figures; not a test (tests/test_onnx_embed.py holds the checks).

    python eval/compare_embedders.py [--limit N] [--no-documents] [--json FILE]

- query vectors of every gold question (eval/gold/questions, unanswerable, synthetic): cosine torch vs onnx;
- retrieval over the same index (ILO_INDEX_DIR, built first when missing) with each backend for the queries:
  how many questions get the identical top-5 unit ids (and the same first unit), hit@1 / hit@5 both ways,
  answered and cited units alike;
- document vectors: every text the index embeds (each unit in each language, each sentence) through both,
  cosine (with the build times of eval/bench_start.py, what decides which backend builds the index).
Timings are not taken here: both models share this process (eval/bench_start.py times each alone).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ILO_ANSWER_MODE", "extractive")

GOLD_SETS = ("questions", "unanswerable", "synthetic")


def load_questions(limit: int | None) -> list[dict]:
    from assistant.evaluation.harness import EVAL_DIR, load_gold

    out = []
    for name in GOLD_SETS:
        path = EVAL_DIR / "gold" / f"{name}.jsonl"
        if path.exists():
            out += [{**g, "set": name} for g in load_gold(path)]
    return out[:limit] if limit else out


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, help="only the first N gold questions")
    ap.add_argument("--no-documents", action="store_true", help="skip the document-vector comparison")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    from assistant.config import load_settings
    from assistant.engine import Engine
    from assistant.evaluation import harness as H
    from assistant.models.embed import get_embedder
    from assistant.search.index import _sentence_records, _unit_records, build_index, load_index, read_current

    settings = load_settings()
    if read_current(settings.index_dir) is None:
        build_index(settings, progress=False)
    index = load_index(settings)
    gold = load_questions(args.limit)
    figures: dict = {"questions": len(gold)}

    models = {b: get_embedder("embeddinggemma", settings.models_dir, b) for b in ("torch", "onnx")}
    assert models["onnx"].backend == "onnx", "no ONNX export: run python -m assistant models export embeddinggemma"

    # Query vectors.
    texts = [g["question"] for g in gold]
    vecs = {b: np.stack([m.embed_query(x) for x in texts]) for b, m in models.items()}
    c = cosines(vecs["torch"], vecs["onnx"])
    figures["query_cosine"] = {"min": float(c.min()), "mean": float(c.mean())}
    print(f"query vectors, {len(texts)} gold questions: cosine torch/onnx min {c.min():.7f}, mean {c.mean():.7f}")

    # Rankings and answers through each backend (same index, same engine otherwise).
    answers, rows = {}, {}
    for b in ("torch", "onnx"):
        engine = Engine(settings.model_copy(update={"embed_backend": b}), index=index, embedder=models[b])
        answers[b] = {a["id"]: a for a in H.run(engine, gold)}
        rows[b] = H.score(gold, list(answers[b].values()))
    same5 = same1 = same_answered = same_cited = 0
    differ = []
    for g in gold:
        a, o = answers["torch"][g["id"]], answers["onnx"][g["id"]]
        ta, oa = [r["id"] for r in a.get("retrieved", [])][:5], [r["id"] for r in o.get("retrieved", [])][:5]
        same5 += ta == oa
        same1 += ta[:1] == oa[:1]
        same_answered += a.get("answered") == o.get("answered")
        same_cited += [x.get("id") for x in a.get("citations", [])] == [x.get("id") for x in o.get("citations", [])]
        if ta != oa:
            differ.append({"id": g["id"], "question": g["question"], "torch": ta, "onnx": oa})
    n = len(gold)
    figures.update(same_top5=same5, same_top1=same1, same_answered=same_answered, same_cited=same_cited, differ=differ)
    print(f"retrieval, {n} questions: identical top-5 unit ids {same5}/{n}, same first unit {same1}/{n}, "
          f"same answered/refused {same_answered}/{n}, same cited units {same_cited}/{n}")  # fmt: skip
    for d in differ[:10]:
        print(f"  differs: {d['id']} {d['question'][:60]!r}\n    torch {d['torch']}\n    onnx  {d['onnx']}")

    print("\n| gold set | questions | hit@1 torch | hit@1 onnx | hit@5 torch | hit@5 onnx |")
    print("|---|---|---|---|---|---|")
    figures["hits"] = {}
    for name in (*GOLD_SETS, "all"):
        ids = {g["id"] for g in gold if name in ("all", g["set"])}
        if not ids:
            continue
        cell = {}
        for b in ("torch", "onnx"):
            for m in ("hit@1", "hit@5"):
                xs = [r[m] for r in rows[b] if r["id"] in ids and r[m] is not None]
                cell[f"{m} {b}"] = sum(xs) / len(xs) if xs else float("nan")
        figures["hits"][name] = cell
        print(f"| {name} | {len(ids)} | {cell['hit@1 torch']:.3f} | {cell['hit@1 onnx']:.3f} | "
              f"{cell['hit@5 torch']:.3f} | {cell['hit@5 onnx']:.3f} |")  # fmt: skip

    if not args.no_documents:
        docs = [r[1] for r in _unit_records(index.units)] + [s["text"] for s in _sentence_records(index.units)]
        dvecs = {
            b: np.concatenate([m.embed_documents(docs[i : i + 16]) for i in range(0, len(docs), 16)])
            for b, m in models.items()
        }
        c = cosines(dvecs["torch"], dvecs["onnx"])
        figures["documents"] = {"texts": len(docs), "cosine_min": float(c.min()), "cosine_mean": float(c.mean())}
        print(f"\ndocument vectors, {len(docs)} texts of the index: cosine min {c.min():.7f}, mean {c.mean():.7f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
