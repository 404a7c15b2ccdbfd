"""Briefing notes per key-message writer: time, what the citation check kept, and whether the note
cites the paragraph a reader would expect for the topic.

    python eval/bench_brief.py [--modes extractive,qwen2.5-1.5b,qwen2.5-0.5b] [--topics 6]

Prints a table and writes eval/reports/bench-brief-<date>.json. Every message left in a note is
supported by the units it cites (that is how notes are built); the figures say what it costs: how
many of the model's sentences the check removed, how many quoted messages filled the note, and how
many deliverables were restated in the note's language (the others stay quoted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (topic, the unit a reader expects the note to cite), the topics in both languages.
TOPICS = [
    ("the ILO's added value", "¶29"),
    ("decent work in the UN Sustainable Development Cooperation Frameworks", "¶15"),
    ("South-South cooperation", "D2.5"),
    ("transparency", "¶24"),
    ("透明度", "¶24"),
    ("南南合作", "D2.5"),
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="extractive,qwen2.5-1.5b,qwen2.5-0.5b", help="extractive or chat model names")
    p.add_argument("--topics", type=int, default=len(TOPICS))
    args = p.parse_args()

    from assistant.config import load_settings
    from assistant.documents.text import language_of
    from assistant.engine import Engine
    from assistant.interfaces.brief import build_briefing
    from assistant.models.llm import make_llm

    base = Engine(load_settings(answer_mode="extractive"))
    rows, notes = [], []
    for mode in args.modes.split(","):
        if mode == "extractive":
            eng = base
        else:
            s = load_settings(answer_mode="local", llm_model=mode)
            eng = Engine(s, index=base.index, embedder=base.embedder, llm=make_llm(s))
        per = []
        for topic, expected in TOPICS[: args.topics]:
            t = time.perf_counter()
            b = build_briefing(eng, topic)
            seconds = time.perf_counter() - t
            written = [m for m in b.messages if m.written]
            labels = {u.label for m in b.messages for u in m.units} | {u.label for u in b.deliverables}
            note = {
                "mode": mode,
                "topic": topic,
                "seconds": round(seconds, 1),
                "ttft_s": round(b.timings_ms.get("ttft_ms", 0) / 1000, 1),
                "messages": len(b.messages),
                "written": len(written),
                "dropped": len(b.dropped),
                "quoted": len(b.messages) - len(written),
                "deliverables": len(b.deliverables),
                "restated": len(b.restated),
                "fallback": b.fallback,
                "language_match": sum(language_of(m.text) == b.language for m in written) / len(written)
                if written
                else None,
                "expected_cited": expected in labels,
                "messages_text": [f"{m.text} [{', '.join(u.label for u in m.units)}]" for m in b.messages],
                "dropped_text": b.dropped,
                "restated_text": b.restated,
            }
            per.append(note)
            notes.append(note)
            print(f"  {mode:14} {topic[:40]:40} {seconds:5.1f} s  written {len(written)}  dropped {len(b.dropped)}")
        matched = [n["language_match"] for n in per if n["language_match"] is not None]
        rows.append(
            {
                "mode": mode,
                "notes": len(per),
                "seconds_p50": round(statistics.median(n["seconds"] for n in per), 1),
                "seconds_max": max(n["seconds"] for n in per),
                "written_notes": sum(n["written"] > 0 for n in per),
                "written_messages": sum(n["written"] for n in per),
                "dropped_sentences": sum(n["dropped"] for n in per),
                "quoted_messages": sum(n["quoted"] for n in per),
                "deliverables_restated": f"{sum(n['restated'] for n in per)}/{sum(n['deliverables'] for n in per)}",
                "language_match": round(statistics.mean(matched), 2) if matched else None,
                "expected_cited": f"{sum(n['expected_cited'] for n in per)}/{len(per)}",
            }
        )
    cols = list(rows[0])
    print("\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join("–" if r[c] is None else str(r[c]) for c in cols) + " |")
    out = ROOT / "eval" / "reports" / f"bench-brief-{dt.date.today()}.json"
    out.write_text(json.dumps({"summary": rows, "notes": notes}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
