"""Benchmark: cold start and the warm service (issue 14's targets), whole processes, as a Markdown table.

    python eval/bench_start.py [--runs 3] [--clients 8] [--per-client 20] [--baseline /path/to/other/checkout]

Each figure is taken with each EmbeddingGemma runtime (`--backends`, default torch and onnx:
ILO_EMBED_BACKEND), in the same run:
- one-shot look-up (`ask "第12段说了什么" --json`, once: it loads no embedder) and one-shot retrieval question:
  wall time and peak RSS of the whole process, median of --runs (with --baseline, the same commands in
  another checkout, e.g. the commit before the lazy start, over the same index);
- index build of the plan, cold (`ingest` into a fresh index folder, no embedding cache);
- `serve`: peak RSS at rest (after its warm-up, before any request); /v1/ask latency p50 / p95 over the
  gold questions asked one after another; throughput and errors with --clients concurrent clients, each
  asking --per-client gold questions.

The index used is ILO_INDEX_DIR (default index/), built first when missing. Not a test: numbers depend on
the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold" / "questions.jsonl"
LOOKUP = "第12段说了什么"
RETRIEVAL = "Which 2019 deliverable concerns South-South cooperation?"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def whole_process(args: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one process, which must succeed."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def median_of(runs: int, args: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float]:
    results = [whole_process(args, env, cwd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_mb(pid: int) -> tuple[float, float]:
    """(peak, current) RSS of a running process in MB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def serve_figures(env: dict, gold: list[dict], clients: int, per_client: int) -> dict:
    import httpx

    port = free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        ready = time.perf_counter() - t
        time.sleep(2)
        rest_peak, rest_now = peak_mb(proc.pid)
        client = httpx.Client(base_url=url, timeout=120)

        def body(q: dict) -> dict:
            return {"id": q["id"], "question": q["question"], "history": q.get("history") or []}

        latencies = []
        for q in gold:
            t = time.perf_counter()
            r = client.post("/v1/ask", json=body(q))
            latencies.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()

        errors, done = [], []

        def user(k: int) -> None:
            own = httpx.Client(base_url=url, timeout=300)
            for i in range(per_client):
                q = gold[(k * per_client + i) % len(gold)]
                try:
                    r = own.post("/v1/ask", json=body(q))
                    (done if r.status_code == 200 else errors).append(r.status_code)
                except httpx.HTTPError as e:
                    errors.append(type(e).__name__)

        t = time.perf_counter()
        threads = [threading.Thread(target=user, args=(k,)) for k in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        seconds = time.perf_counter() - t
        return {
            "ready_s": ready,
            "rest_peak_mb": rest_peak,
            "rest_mb": rest_now,
            "p50_ms": pct(latencies, 50),
            "p95_ms": pct(latencies, 95),
            "n": len(latencies),
            "throughput": len(done) / seconds,
            "answered": len(done),
            "errors": errors,
            "peak_mb": peak_mb(proc.pid)[0],
        }
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of each one-shot command (median)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=20)
    ap.add_argument("--backends", default="torch,onnx", help="EmbeddingGemma runtimes to compare (ILO_EMBED_BACKEND)")
    ap.add_argument("--baseline", type=Path, help="another checkout to time the same one-shot commands in")
    ap.add_argument("--skip-build", action="store_true", help="do not time the cold index build")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    env = {**os.environ, "ILO_ANSWER_MODE": os.environ.get("ILO_ANSWER_MODE", "extractive")}
    env.setdefault("ILO_INDEX_DIR", str(ROOT / "index"))
    py = [sys.executable, "-m", "assistant"]
    if not (Path(env["ILO_INDEX_DIR"]) / "current.json").exists():
        subprocess.run([*py, "ingest", "--quiet"], cwd=ROOT, env=env, check=True)
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    envs = {b: {**env, "ILO_EMBED_BACKEND": b} for b in backends}
    rows: list[tuple[str, list[str]]] = []  # (what, one cell per backend [+ baseline])
    figures: dict = {"machine": f"{os.cpu_count()} cores", "answer_mode": env["ILO_ANSWER_MODE"], "backends": {}}
    for b in backends:
        figures["backends"][b] = {}

    def row(what: str, cells: dict[str, str], base: str = "") -> None:
        rows.append((what, [cells.get(b, "") for b in backends] + ([base] if args.baseline else [])))

    for name, question, each in (("one-shot look-up", LOOKUP, backends[:1]), ("one-shot retrieval question",
                                                                              RETRIEVAL, backends)):  # fmt: skip
        cells = {}
        for b in each:  # a look-up loads no embedder: once is enough
            wall, mb = median_of(args.runs, [*py, "ask", question, "--json"], envs[b])
            figures["backends"][b][name] = {"wall_s": wall, "peak_mb": mb}
            cells[b] = f"{wall:.1f} s, {mb / 1024:.2f} GB"
        base = ""
        if args.baseline:
            bwall, bmb = median_of(args.runs, [str(args.baseline / ".venv/bin/python"), "-m", "assistant", "ask",
                                               question, "--json"], env, args.baseline)  # fmt: skip
            figures[f"{name} baseline"] = {"wall_s": bwall, "peak_mb": bmb}
            base = f"{bwall:.1f} s, {bmb / 1024:.2f} GB"
        what = f'{name} (`ask "{question}" --json`)' + (", any backend" if len(each) == 1 < len(backends) else "")
        row(what, cells, base)

    if not args.skip_build:
        cells = {}
        for b in backends:
            with tempfile.TemporaryDirectory() as folder:
                wall, mb = whole_process([*py, "ingest", "--quiet"], {**envs[b], "ILO_INDEX_DIR": folder})
            figures["backends"][b]["index build, cold"] = {"wall_s": wall, "peak_mb": mb}
            cells[b] = f"{wall:.1f} s, {mb / 1024:.2f} GB"
        row("index build of the plan, cold (`ingest`: fresh index folder, no cache)", cells)

    served = {}
    for b in backends:
        served[b] = figures["backends"][b]["serve"] = serve_figures(envs[b], gold, args.clients, args.per_client)
    row("`serve` start to ready (warm-up included)", {b: f"{s['ready_s']:.1f} s" for b, s in served.items()})
    row("`serve` at rest (after warm-up), peak / now",
        {b: f"{s['rest_peak_mb'] / 1024:.2f} / {s['rest_mb'] / 1024:.2f} GB" for b, s in served.items()})  # fmt: skip
    n = len(gold)
    row(f"/v1/ask p50 / p95, {n} gold questions one after another",
        {b: f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f} ms" for b, s in served.items()})  # fmt: skip
    row(f"/v1/ask with {args.clients} concurrent clients × {args.per_client} questions",
        {b: f"{s['throughput']:.1f} answers/s, {s['answered']} answered, {len(s['errors'])} errors, "
            f"{s['peak_mb'] / 1024:.2f} GB peak" for b, s in served.items()})  # fmt: skip

    header = "| | " + " | ".join(f"ILO_EMBED_BACKEND={b}" for b in backends) + " |"
    header += " before (--baseline) |" if args.baseline else ""
    print(header)
    print("|---|" + "---|" * (len(backends) + bool(args.baseline)))
    for what, cells in rows:
        print(f"| {what} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 1 if any(s["errors"] for s in served.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
