"""Benchmark: build time, warm latency (retrieval and whole answer), start-up to first answer, memory,
and how cost grows with the corpus scaled ×10 and ×100 (synthetic copies of the plan); with
--server-docs N, the same code against a real `chroma run` server with N documents: ingest, per-document
add and remove, and query latency over all documents and over one.

    python eval/bench.py [--scales 1,10,100] [--model embeddinggemma] [--server-docs 200]

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


def timed_builds(settings, cache_from: Path | None):
    """(build report, seconds, no-op rebuild report, seconds), the vectors seeded from a cache file if given."""
    from assistant.search.index import build_index

    if cache_from:
        (settings.index_dir / "cache").mkdir(parents=True, exist_ok=True)
        shutil.copy(cache_from, settings.index_dir / "cache" / "embeddings.sqlite")
    t = time.perf_counter()
    report = build_index(settings, progress=False)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    noop = build_index(settings, progress=False)
    return report, build_s, noop, time.perf_counter() - t


def measure(settings, questions: list[dict], cache_from: Path | None) -> dict:
    from assistant.engine import Engine

    report, build_s, noop, noop_s = timed_builds(settings, cache_from)
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


def variant(base: dict, i: int) -> dict:
    """A synthetic paper: the plan's text under another symbol and id (its vectors are in the cache)."""
    symbol = f"GB.{400 + i // 50}/INS/{i % 50 + 1}"
    return {**base, "id": symbol.replace("/", "-"), "symbol": symbol}


def server_scenario(tmp: Path, model: str, n_docs: int, questions: list[dict], cache_from: Path | None) -> dict:
    """Ingest n_docs documents into a Chroma server started here, add and remove one document at a
    time, and time questions over all documents and over one."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import free_port, wait_for_port

    from assistant.documents import corpus as C
    from assistant.engine import Engine
    from assistant.search.index import build_index

    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log = tmp / "chroma.log"
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, server, 60, "chroma server", log)
        corpus = scaled_corpus(tmp / "server-corpus", 1)
        base = C.read_manifest(corpus)[0]
        C.write_manifest(corpus, [base] + [C.DocumentInfo(**variant(base.__dict__, i)) for i in range(1, n_docs)])
        settings = load_settings(
            corpus_dir=corpus,
            index_dir=tmp / "server-index",
            embed_model=model,
            chroma_host="127.0.0.1",
            chroma_port=port,
        )
        report, ingest_s, noop, noop_s = timed_builds(settings, cache_from)
        assert noop.unchanged

        adds, removes = [], []
        for i in range(n_docs, n_docs + 5):
            info = C.DocumentInfo(**variant(base.__dict__, i))
            t = time.perf_counter()
            r = build_index(
                settings,
                progress=False,
                change=lambda info=info: C.write_manifest(corpus, [*C.read_manifest(corpus), info]),
            )
            adds.append(time.perf_counter() - t)
            assert r.indexed == [info.id]
            t = time.perf_counter()
            r = build_index(
                settings,
                progress=False,
                change=lambda info=info: C.write_manifest(
                    corpus, [d for d in C.read_manifest(corpus) if d.id != info.id]
                ),
            )
            removes.append(time.perf_counter() - t)
            assert r.removed == [info.id]

        t = time.perf_counter()
        engine = Engine(settings)
        load_s = time.perf_counter() - t
        engine.ask(questions[0]["question"])  # warm-up
        one = engine.index.documents[n_docs // 2].id
        retrieval, search, whole, scoped = [], [], [], []
        for q in questions:
            t = time.perf_counter()
            r = engine.retriever.retrieve(engine_query(q))
            retrieval.append((time.perf_counter() - t) * 1000)
            search.append(retrieval[-1] - r.timings_ms.get("embed_ms", 0.0))  # the store and BM25, not the model
            t = time.perf_counter()
            engine.ask(q["question"], q.get("history"))
            whole.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            engine.ask(q["question"], q.get("history"), doc=one)
            scoped.append((time.perf_counter() - t) * 1000)
        return {
            "documents": n_docs,
            "units": report.units,
            "records": report.units + report.sentences,
            "ingest_s": round(ingest_s, 1),
            "embedded": report.embedded,
            "noop_rebuild_s": round(noop_s, 2),
            "add_one_doc_s": round(statistics.median(adds), 2),
            "remove_one_doc_s": round(statistics.median(removes), 2),
            "engine_load_s": round(load_s, 1),
            "search_p50_ms": round(statistics.median(search), 1),
            "search_p95_ms": round(pct(search, 95), 1),
            "retrieval_p50_ms": round(statistics.median(retrieval), 1),
            "retrieval_p95_ms": round(pct(retrieval, 95), 1),
            "answer_p50_ms": round(statistics.median(whole), 1),
            "answer_p95_ms": round(pct(whole, 95), 1),
            "answer_one_doc_p50_ms": round(statistics.median(scoped), 1),
            "answer_one_doc_p95_ms": round(pct(scoped, 95), 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def engine_query(q: dict) -> str:
    from assistant.answers.followup import standalone_question

    return standalone_question(q["question"], q.get("history"))


def startup_to_first_answer(index_dir: Path, model: str) -> tuple[float, float]:
    """Wall time of `python -m assistant ask …` in a fresh process, and that process's peak memory."""
    code = (
        "import resource, sys; from assistant.interfaces.cli import main; "
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
    ap.add_argument("--server-docs", type=int, default=0, help="documents for the Chroma-server scenario (0: skip)")
    ap.add_argument(
        "--cache", type=Path, help="seed the embedding cache from this file (with --scales '' : no cold build)"
    )
    args = ap.parse_args()

    from assistant.evaluation.harness import load_gold

    questions = load_gold()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = None
        if args.cache:
            cache = tmp / "seed.sqlite"
            shutil.copy(args.cache, cache)  # a copy: the source may be another index's live cache
        for scale in [int(s) for s in args.scales.split(",") if s]:
            corpus = scaled_corpus(tmp / f"corpus{scale}", scale)
            settings = load_settings(corpus_dir=corpus, index_dir=tmp / f"index{scale}", embed_model=args.model)
            rows[f"x{scale}"] = row = measure(settings, questions, cache)
            if scale == 1:
                wall, rss = startup_to_first_answer(settings.index_dir, args.model)
                row["startup_to_first_answer_s"] = round(wall, 1)
                row["startup_process_peak_rss_mb"] = round(rss)
            cache = settings.index_dir / "cache" / "embeddings.sqlite"
            print(f"x{scale}: {row}", file=sys.stderr)
        if args.server_docs:
            name = f"server-{args.server_docs}-docs"
            rows[name] = server_scenario(tmp, args.model, args.server_docs, questions, cache)
            print(f"{name}: {rows[name]}", file=sys.stderr)

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
    if out.exists():  # the same day's other scenarios stay in the report
        rows = {**json.loads(out.read_text(encoding="utf-8")), **rows}
    out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
