"""Write the synthetic gold questions (eval/gold/synthetic.jsonl) with the configured chat model.

    ILO_ANSWER_MODE=local .venv/bin/python eval/make_synthetic.py [--per-call 2] [--limit N]

Reads every unit in its original and in each language version (so English questions need the English
version: `python -m assistant translate --to en` first), keeps the questions that pass the round-trip check
(assistant/evaluation/synthetic.py), records them with their split part, and prints what each check removed.
Model outputs are cached in index/cache/synthetic.sqlite: a second run (or one killed midway) resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-call", type=int, default=2, help="questions asked per passage (default 2)")
    p.add_argument("--limit", type=int, help="only the first N units (a trial)")
    p.add_argument("--languages", default="zh,en", help="languages to ask in (default: zh,en)")
    p.add_argument("--rounds", type=int, default=2, help="1: general questions; 2: also detail questions")
    p.add_argument("--out", default=str(ROOT / "eval" / "gold" / "synthetic.jsonl"))
    args = p.parse_args(argv)

    from llama_index.core.llms import ChatMessage

    from assistant.config import load_settings
    from assistant.documents.corpus import load_documents
    from assistant.documents.versions import attach, read_versions
    from assistant.evaluation import harness as E
    from assistant.evaluation import synthetic as S
    from assistant.evaluation.split import extend_split, read_split, write_split
    from assistant.models.llm import backend_name, make_llm
    from assistant.translation.translate import TranslationCache

    s = load_settings()
    llm = make_llm(s)
    if llm is None:
        print("error: no chat model (make llm; ILO_ANSWER_MODE=local)", file=sys.stderr)
        return 1
    model = backend_name(s)
    cache = TranslationCache(s.index_dir / "cache" / "synthetic.sqlite")
    calls = 0

    def ask(messages) -> str:
        nonlocal calls
        key = TranslationCache.key(model, S.PROMPT_VERSION, json.dumps(messages, ensure_ascii=False))
        if (text := cache.get(key)) is None:
            chat = [ChatMessage(role=r, content=c) for r, c in messages]
            text = llm.chat(chat, max_tokens=220, temperature=0.2).message.content or ""
            cache.put(key, text)
            calls += 1
        return text

    t0 = time.perf_counter()
    candidates = []
    for info, units in load_documents(s.corpus_dir):
        units = attach(units, read_versions(s.corpus_dir, info.id))[: args.limit]
        for r in range(args.rounds):
            langs = tuple(args.languages.split(","))
            candidates += S.generate(units, info.language, ask, langs, per_call=args.per_call, details=r == 1)
    gold = S.as_gold(candidates, model)
    out = Path(args.out)
    out.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold), encoding="utf-8")
    note = json.loads(E.SPLIT.read_text(encoding="utf-8"))["note"]
    write_split(E.SPLIT, extend_split(read_split(E.SPLIT), gold), note)
    why = Counter(c.why or "kept" for c in candidates)
    by_lang = Counter(g["language"] for g in gold)
    print(
        json.dumps(
            {
                "model": model,
                "candidates": len(candidates),
                "kept": len(gold),
                "kept_by_language": by_lang,
                "checks": why,
                "model_calls": calls,
                "seconds": round(time.perf_counter() - t0, 1),
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    report = E.REPORTS / f"{E.report_name('synthetic-generation')}.jsonl"
    report.write_text("".join(json.dumps(c.__dict__, ensure_ascii=False) + "\n" for c in candidates), encoding="utf-8")
    print(f"{len(gold)} questions in {out}; every candidate and its check in {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
