"""Command line: `python -m assistant ingest | ask | chat | models`.

Heavy libraries load only once a command needs them: `--help` and input validation are instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_USAGE, EXIT_ERROR = 2, 1


def _settings(args):
    from .config import load_settings

    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "top_k", None):
        overrides["top_k"] = args.top_k
    return load_settings(**overrides)


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_ingest(args) -> int:
    from .index import build_index

    s = _settings(args)
    report = build_index(s, progress=not args.quiet)
    if report.unchanged:
        print(f"index up to date (build {report.build_id}, {report.units} units): nothing to do")
    else:
        print(
            f"built index {report.build_id}: {report.units} units, {report.sentences} sentences; "
            f"embedded {report.embedded}, reused {report.reused} from cache; {report.seconds:.1f} s"
        )
    return 0


def format_answer(a) -> str:
    lines = [a.answer]
    if a.citations:
        lines.append("")
        lines.append("Sources:")
        for c in a.citations:
            u = c.unit
            section = " > ".join(u.section)
            lines.append(f"  [{u.label}] {u.doc} — {section}")
    return "\n".join(lines)


def _read_batch(path: str, need_question: bool = True) -> list[tuple[int, dict | None, str | None]]:
    """(line number, request or None, error or None) for each non-empty JSON line."""
    out = []
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if not isinstance(req, dict) or (need_question and "question" not in req):
                raise ValueError('each line must be a JSON object with a "question"')
            history = req.get("history") or []
            if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
                raise ValueError('"history" must be a list of {"role", "content"} objects')
            out.append((n, req, None))
        except ValueError as e:
            out.append((n, None, f"line {n}: {e}"))
    return out


def cmd_ask(args) -> int:
    from .engine import InvalidQuestion, validate

    s = _settings(args)
    if args.batch:
        try:
            requests = _read_batch(args.batch)
        except OSError as e:
            return _fail(f"cannot read {args.batch}: {e}", EXIT_USAGE)
        engine = _engine(s)
        bad = 0
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        try:
            for n, req, err in requests:
                rid = req.get("id", n) if req else n
                if err is None:
                    try:
                        a = engine.ask(req["question"], req.get("history"), retrieval=args.retrieval, qid=rid)
                        record = a.to_dict()
                    except InvalidQuestion as e:
                        err = f"line {n}: {e}"
                if err is not None:
                    bad += 1
                    print(f"error: {err}", file=sys.stderr)
                    record = {"id": rid, "question": (req or {}).get("question"), "error": err, "answered": False}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
        finally:
            if out is not sys.stdout:
                out.close()
        return EXIT_ERROR if bad else 0

    if args.question is None:
        return _fail('give a question, e.g. ask "What does paragraph 12 say?", or --batch FILE.jsonl', EXIT_USAGE)
    try:
        validate(args.question, s.max_question_chars)  # before loading any model
    except InvalidQuestion as e:
        return _fail(str(e), EXIT_USAGE)
    a = _engine(s).ask(args.question, retrieval=args.retrieval)
    if args.json:
        print(json.dumps(a.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(a))
    return 0


def cmd_chat(args) -> int:
    from .engine import InvalidQuestion

    engine = _engine(_settings(args))
    history: list[dict] = []
    print("Ask about GB.334/INS/3/1 in Chinese or English. Empty line or Ctrl-D to quit; /new starts over.")
    while True:
        try:
            q = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not q:
            return 0
        if q == "/new":
            history = []
            print("(new conversation)")
            continue
        try:
            a = engine.ask(q, history)
        except InvalidQuestion as e:
            print(f"error: {e}")
            continue
        print(format_answer(a))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": a.answer}]


def cmd_models(args) -> int:
    from . import models

    s = _settings(args)
    if args.action == "install":
        path = models.install(args.name, s.models_dir)
        print(f"{args.name} installed and verified in {path}")
    else:
        for name in models.MODELS:
            state = "installed" if models.is_installed(s.models_dir, name) else "not installed"
            print(f"{name}: {state} ({models.MODELS[name].licence})")
    return 0


def cmd_eval(args) -> int:
    from . import evaluation as E

    gold = E.load_gold(Path(args.gold)) if args.gold else E.load_gold()
    if args.answers:
        by_id = {}
        for _, req, err in _read_batch(args.answers, need_question=False):
            if err:
                return _fail(err, EXIT_USAGE)
            by_id[str(req.get("id"))] = req
        rows = {"answers": E.summarise([E.score_one(g, by_id.get(g["id"], {})) for g in gold])}
    else:
        engine = _engine(_settings(args))
        modes = ["hybrid", "dense", "keyword"] if args.compare else [args.retrieval]
        rows = {}
        for mode in modes:
            _, scores = E.run(engine, gold, retrieval=mode)
            rows[mode] = E.summarise(scores)
            if mode == "hybrid" and args.calibrate:
                for lang in ("zh", "en"):
                    t, acc = E.best_threshold([x for x in scores if x.language == lang])
                    print(f"calibration ({lang}): evidence threshold {t:.3f} gives refusal accuracy {acc:.3f}")
    metrics = list(next(iter(rows.values())))
    print("| config | " + " | ".join(metrics) + " |")
    print("|---" * (len(metrics) + 1) + "|")
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(_fmt(row[m]) for m in metrics) + " |")
    return 0


def _fmt(x) -> str:
    return str(x) if isinstance(x, int) else f"{x:.3f}" if x < 10 else f"{x:.0f}"


def _engine(settings):
    from .engine import Engine

    return Engine(settings)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m assistant",
        description="Ask questions about ILO paper GB.334/INS/3/1 (Chinese or English); answers cite paragraphs.",
    )
    p.add_argument("--index", help="index folder (default: index/, or ILO_INDEX_DIR)")
    p.add_argument("--corpus", help="corpus folder (default: corpus/, or ILO_CORPUS_DIR)")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="build or refresh the index from the corpus")
    ing.add_argument("--quiet", action="store_true", help="no progress bars")
    ing.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="answer one question, or a JSONL batch")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--json", action="store_true", help="print the JSON answer")
    ask.add_argument("--batch", metavar="FILE.jsonl", help='lines {"id", "question", "history"}; "-" reads stdin')
    ask.add_argument("--output", metavar="FILE.jsonl", help="write batch answers here (default: stdout)")
    ask.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], default="hybrid")
    ask.add_argument("--top-k", type=int, help="units retrieved (default 5)")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="a conversation in the terminal; follow-up questions use the history")
    chat.set_defaults(func=cmd_chat)

    ev = sub.add_parser("eval", help="score the assistant (or answers made elsewhere) on the gold questions")
    ev.add_argument("--compare", action="store_true", help="hybrid, dense-only and keyword-only side by side")
    ev.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], default="hybrid")
    ev.add_argument("--answers", metavar="FILE.jsonl", help="score these JSON answers instead of running")
    ev.add_argument("--gold", metavar="FILE.jsonl", help="gold questions (default: eval/gold/questions.jsonl)")
    ev.add_argument("--calibrate", action="store_true", help="print the refusal threshold that fits best")
    ev.set_defaults(func=cmd_eval)

    mod = sub.add_parser("models", help="install or list the offline models")
    mod.add_argument("action", choices=["install", "list"])
    mod.add_argument("name", nargs="?", default="embeddinggemma")
    mod.set_defaults(func=cmd_models)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .corpus import CorpusError
    from .engine import InvalidQuestion
    from .index import IndexError_
    from .models import ModelMissing

    try:
        return args.func(args)
    except (IndexError_, CorpusError, ModelMissing, InvalidQuestion) as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
