"""Benchmark: build time, warm latency (retrieval and whole answer), start-up to first answer, memory,
and how cost grows with the corpus scaled ×10 and ×100 (synthetic copies of the plan).

    python eval/bench.py [--scales 1,10,100] [--model embeddinggemma]

Prints a table and writes eval/reports/bench-<date>.json. Copies of the plan have the same text under
other document ids, so their vectors come from the embedding cache: the scaled builds measure
storage, keyword index and query cost, while embedding cost is measured once, cold, at ×1.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def scaled_corpus(dest: Path, copies: int) -> Path:
    src = ROOT / "corpus"
    dest.mkdir(parents=True)
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    base = manifest["documents"][0]
    shutil.copy(src / base["source"], dest / base["source"])
    docs = [base] + [{**base, "id": f"{base['id']}-copy{i}"} for i in range(1, copies)]
    (dest / "manifest.json").write_text(json.dumps({"documents": docs}), encoding="utf-8")
    return dest


def measure(settings, questions: list[dict], cache_from: Path | None) -> dict:
    from assistant.engine import Engine
    from assistant.index import build_index

    if cache_from:
        (settings.index_dir / "cache").mkdir(parents=True, exist_ok=True)
        shutil.copy(cache_from, settings.index_dir / "cache" / "embeddings.sqlite")
    t = time.perf_counter()
    report = build_index(settings, progress=False)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    noop = build_index(settings, progress=False)
    noop_s = time.perf_counter() - t
    assert noop.unchanged
    engine = Engine(settings)
    engine.ask(questions[0]["question"])  # warm-up
    retrieval, whole = [], []
    for q in questions:
        t = time.perf_counter()
        engine.retriever.retrieve(engine_query(q))
        retrieval.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        engine.ask(q["question"], q.get("history"))
        whole.append((time.perf_counter() - t) * 1000)
    return {
        "units": report.units,
        "build_s": round(build_s, 1),
        "embedded": report.embedded,
        "noop_rebuild_s": round(noop_s, 2),
        "retrieval_p50_ms": round(statistics.median(retrieval), 1),
        "retrieval_p95_ms": round(pct(retrieval, 95), 1),
        "answer_p50_ms": round(statistics.median(whole), 1),
        "answer_p95_ms": round(pct(whole, 95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def engine_query(q: dict) -> str:
    from assistant.followup import standalone_question

    return standalone_question(q["question"], q.get("history"))


def startup_to_first_answer(index_dir: Path, model: str) -> tuple[float, float]:
    """Wall time of `python -m assistant ask …` in a fresh process, and that process's peak memory."""
    code = (
        "import resource, sys; from assistant.cli import main; "
        "rc = main(['--index', sys.argv[1], 'ask', '南南合作方面有哪些可交付成果？']); "
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", code, str(index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"ILO_EMBED_MODEL": model, "PATH": "/usr/bin:/bin"},
    )
    wall = time.perf_counter() - t
    rss = next((int(x.split()[1]) / 1024 for x in r.stdout.splitlines() if x.startswith("RSS")), float("nan"))
    return wall, rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--model", default=load_settings().embed_model)
    args = ap.parse_args()

    from assistant.evaluation import load_gold

    questions = load_gold()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = None
        for scale in [int(s) for s in args.scales.split(",")]:
            corpus = scaled_corpus(tmp / f"corpus{scale}", scale)
            settings = load_settings(corpus_dir=corpus, index_dir=tmp / f"index{scale}", embed_model=args.model)
            rows[f"x{scale}"] = row = measure(settings, questions, cache)
            if scale == 1:
                wall, rss = startup_to_first_answer(settings.index_dir, args.model)
                row["startup_to_first_answer_s"] = round(wall, 1)
                row["startup_process_peak_rss_mb"] = round(rss)
            cache = settings.index_dir / "cache" / "embeddings.sqlite"
            print(f"x{scale}: {row}", file=sys.stderr)

    keys = sorted(
        {k for r in rows.values() for k in r},
        key=lambda k: list(next(iter(rows.values()))).index(k) if k in next(iter(rows.values())) else 99,
    )
    print(f"model: {args.model}; questions: {len(questions)}; machine: {subprocess.getoutput('nproc')} cores")
    print("| corpus | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, r in rows.items():
        print(f"| {name} | " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
    out = ROOT / "eval" / "reports" / f"bench-{time.strftime('%Y-%m-%d')}-{args.model}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
