"""Prompt size against latency for written answers: time to first token and total time per source budget.

    python eval/bench_llm.py [--models qwen2.5-1.5b,qwen2.5-0.5b] [--budgets 300,700,1500] [--questions 4]

Prints a table and writes eval/reports/bench-llm-<date>.json. Reading the prompt is what a 2-core
machine waits on, so `llm_source_chars` (ILO_LLM_SOURCE_CHARS) is chosen from these figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "国际劳工组织的附加值体现在哪里？",
    "Where does the ILO's added value lie?",
    "南南合作方面有哪些2019年的可交付成果？",
    "Since when has the ILO published financial data through the International Aid Transparency Initiative?",
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="qwen2.5-1.5b,qwen2.5-0.5b")
    p.add_argument("--budgets", default="300,700,1500")
    p.add_argument("--questions", type=int, default=4)
    args = p.parse_args()

    from assistant.config import load_settings
    from assistant.engine import Engine
    from assistant.models.llm import make_llm

    base = Engine(load_settings(answer_mode="extractive"))
    rows = []
    for model in args.models.split(","):
        t = time.perf_counter()
        llm = make_llm(load_settings(answer_mode="local", llm_model=model))
        load_s = time.perf_counter() - t
        for budget in map(int, args.budgets.split(",")):
            s = load_settings(answer_mode="local", llm_model=model, llm_source_chars=budget)
            eng = Engine(s, index=base.index, embedder=base.embedder, llm=llm)
            ttft, total, tokens = [], [], []
            for q in QUESTIONS[: args.questions]:
                a = eng.ask(q)
                if a.mode != "generated":
                    continue
                ttft.append(a.timings_ms["ttft_ms"])
                total.append(a.timings_ms["total_ms"])
                tokens.append(a.grounding["prompt_tokens"])
            row = {
                "model": model,
                "source_chars": budget,
                "load_s": round(load_s, 1),
                "prompt_tokens": round(statistics.mean(tokens)) if tokens else None,
                "ttft_p50_ms": round(statistics.median(ttft)) if ttft else None,
                "total_p50_ms": round(statistics.median(total)) if total else None,
                "n": len(ttft),
            }
            rows.append(row)
            print(row, flush=True)
    print("\n| model | source chars | prompt tokens | first token p50 | whole answer p50 |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['source_chars']} | {r['prompt_tokens']} | "
            f"{(r['ttft_p50_ms'] or 0) / 1000:.1f} s | {(r['total_p50_ms'] or 0) / 1000:.1f} s |"
        )
    out = ROOT / "eval" / "reports" / f"bench-llm-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
