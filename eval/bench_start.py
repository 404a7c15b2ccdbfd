"""Benchmark: cold start and the warm service (issue 14's targets), whole processes, as a Markdown table.

    python eval/bench_start.py [--runs 3] [--clients 8] [--per-client 20] [--baseline /path/to/other/checkout]

- one-shot look-up (`ask "第12段说了什么" --json`) and one-shot retrieval question: wall time and peak RSS of
  the whole process, median of --runs (with --baseline, the same commands in another checkout, e.g. the
  commit before the lazy start, over the same index);
- index build of the plan, cold: a fresh index folder, no embedding cache;
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
    rows: list[tuple[str, str, str, str]] = []  # (what, wall, memory, baseline)
    figures: dict = {"machine": f"{os.cpu_count()} cores", "answer_mode": env["ILO_ANSWER_MODE"]}

    for name, question in (("one-shot look-up", LOOKUP), ("one-shot retrieval question", RETRIEVAL)):
        wall, mb = median_of(args.runs, [*py, "ask", question, "--json"], env)
        figures[name] = {"wall_s": wall, "peak_mb": mb}
        base = ""
        if args.baseline:
            bwall, bmb = median_of(args.runs, [str(args.baseline / ".venv/bin/python"), "-m", "assistant", "ask",
                                               question, "--json"], env, args.baseline)  # fmt: skip
            figures[name]["baseline"] = {"wall_s": bwall, "peak_mb": bmb}
            base = f"{bwall:.1f} s, {bmb / 1024:.2f} GB"
        rows.append((f'{name} (`ask "{question}" --json`)', f"{wall:.1f} s", f"{mb / 1024:.2f} GB", base))

    if not args.skip_build:
        with tempfile.TemporaryDirectory() as folder:
            wall, mb = whole_process([*py, "ingest", "--quiet"], {**env, "ILO_INDEX_DIR": folder})
        figures["index build, cold"] = {"wall_s": wall, "peak_mb": mb}
        rows.append(
            ("index build of the plan, cold (fresh index folder, no cache)", f"{wall:.1f} s", f"{mb / 1024:.2f} GB", "")
        )

    s = serve_figures(env, gold, args.clients, args.per_client)
    figures["serve"] = s
    rows.append(("`serve` start to ready (warm-up included)", f"{s['ready_s']:.1f} s", "", ""))
    rows.append(("`serve` at rest (after warm-up)", "", f"{s['rest_peak_mb'] / 1024:.2f} GB peak, "
                 f"{s['rest_mb'] / 1024:.2f} GB now", ""))  # fmt: skip
    rows.append((f"/v1/ask p50 / p95, {s['n']} gold questions one after another",
                 f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f} ms", "", ""))  # fmt: skip
    errors = len(s["errors"])
    rows.append((f"/v1/ask with {args.clients} concurrent clients × {args.per_client} questions",
                 f"{s['throughput']:.1f} answers/s, {s['answered']} answered, {errors} errors",
                 f"{s['peak_mb'] / 1024:.2f} GB peak", ""))  # fmt: skip

    header = "| | time | memory |" + (" before (--baseline) |" if args.baseline else "")
    print(header)
    print("|---|---|---|" + ("---|" if args.baseline else ""))
    for what, wall, mem, base in rows:
        print(f"| {what} | {wall} | {mem} |" + (f" {base} |" if args.baseline else ""))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 1 if s["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
