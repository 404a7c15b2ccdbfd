"""The command bodies behind `python -m assistant …` (the parser is in cli.py).

Heavy libraries load inside each command, only once it needs them: `--help` and input validation are instant.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

EXIT_USAGE, EXIT_ERROR = 2, 1


class UsageError(ValueError):
    """Bad command-line input: a clear message and exit status 2."""


def _settings(args):
    from ..config import load_settings

    overrides = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "top_k", None):
        overrides["top_k"] = args.top_k
    if getattr(args, "mode", None):
        overrides["answer_mode"] = args.mode
    return load_settings(**overrides)


def fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_ingest(args) -> int:
    from ..search.index import build_index

    s = _settings(args)
    if args.paths:
        return _ingest_files(args, s)
    report = build_index(s, progress=not args.quiet)
    if report.unchanged:
        print(f"index up to date (build {report.build_id}, {report.units} units): nothing to do")
    else:
        print(
            f"built index {report.build_id}: {report.units} units, {report.sentences} sentences; "
            f"embedded {report.embedded}, reused {report.reused} from cache; {report.seconds:.1f} s"
        )
    return 0


def _ingest_files(args, s) -> int:
    """Add or replace documents: every file is read and checked before the corpus or index is touched."""
    from ..documents import corpus as C
    from ..documents.formats import supported
    from ..search.index import build_index

    paths = [Path(p) for p in args.paths]
    bad = [p for p in paths if not supported(p)]
    if bad:
        return fail(
            f"unsupported file type: {', '.join(map(str, bad))} (PDF, DOCX, HTML, Markdown or text)", EXIT_USAGE
        )
    missing = [p for p in paths if not p.is_file()]
    if missing:
        return fail(f"no such file: {', '.join(map(str, missing))}", EXIT_USAGE)
    if len(paths) > 1 and (args.symbol or args.id or args.title or args.version_of):
        return fail("--symbol, --id, --title and --version-of name one document: give one file with them", EXIT_USAGE)
    too_big = [p for p in paths if p.stat().st_size > s.max_document_mb * 1e6]
    if too_big:
        return fail(
            f"{', '.join(f'{p} ({p.stat().st_size / 1e6:.1f} MB)' for p in too_big)}: larger than the "
            f"{s.max_document_mb:g} MB limit; split the document, or raise ILO_MAX_DOCUMENT_MB",
            EXIT_USAGE,
        )
    if args.version_of:
        return _ingest_version(args, s, paths[0])
    prepared = [C.prepare(p, args.symbol, args.title, args.lang, args.date, args.id) for p in paths]
    too_many = [p for p in prepared if len(p.units) > s.max_document_units]
    if too_many:
        return fail(
            f"{', '.join(f'{p.path} ({len(p.units):,} units)' for p in too_many)}: more than the "
            f"{s.max_document_units:,} units a document may have; split it, or raise ILO_MAX_DOCUMENT_UNITS",
            EXIT_USAGE,
        )
    if not _confirm_large(prepared, s, args.yes):
        return fail("nothing ingested: rerun with --yes to go ahead", EXIT_USAGE)
    done: dict = {}
    report = build_index(
        s,
        progress=not args.quiet,
        change=lambda: done.update(zip(("added", "replaced"), C.add_to_corpus(s.corpus_dir, prepared))),
    )
    for p in prepared:
        verb = "replaced" if p.info.id in done.get("replaced", ()) else "added"
        info = p.info
        print(f"{verb} {info.id} ({info.symbol or 'no symbol'}, {info.language}, {len(p.units)} units): {info.title}")
    print(
        f"index {report.build_id}: {len(report.indexed)} document(s) indexed, {report.embedded} texts embedded; "
        f"{report.units} units in all; {report.seconds:.1f} s"
    )
    if args.translate:  # the documents answer already; their translation is added when it is done
        foreign = [p.info for p in prepared if p.info.language != args.translate]
        return _translate(s, foreign, args.translate, args.quiet)
    return 0


def _ingest_version(args, s, path: Path) -> int:
    """Add an official language version of a document already in the corpus, aligned unit by unit."""
    from .library import Refused, add_version

    try:
        done = add_version(s, path, args.version_of, args.lang)
    except Refused as e:  # a misaligned file is an error (1); a wrong document or language a usage error (2)
        return fail(str(e), EXIT_ERROR if e.status == 422 else EXIT_USAGE)
    print(f"added the official {done['version']} version of {done['id']} ({done['units']} units aligned)")
    print(f"index {done['build']}: {done['embedded']} texts embedded; {done['seconds']:.1f} s")
    return 0


def cmd_units(args) -> int:
    """A dry run of ingest: the units a file would give, and warnings about suspicious ones (stderr)."""
    from ..documents import corpus as C
    from ..documents.formats import supported
    from ..documents.units import first_words
    from .library import preview

    path = Path(args.path)
    if not supported(path):
        return fail(f"unsupported file type: {path} (PDF, DOCX, HTML, Markdown or text)", EXIT_USAGE)
    if not path.is_file():
        return fail(f"no such file: {path}", EXIT_USAGE)
    prepared = C.prepare(path, args.symbol, None, args.lang, None, args.id)
    info, units = prepared.info, prepared.units
    found = preview(prepared)  # the same units and warnings as the chat window's and the API's preview
    warnings = found["warnings"]
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        label = {u.id: u.label for u in units}
        kinds: dict[str, int] = {}
        for u in units:
            kinds[u.kind] = kinds.get(u.kind, 0) + 1
        counts = ", ".join(f"{n} {k}" for k, n in kinds.items())
        print(f"{info.id} ({info.symbol or 'no symbol'}, {info.language}): {len(units)} units ({counts})")
        for u in units:
            links = [f"→ fn {n}" for n in u.footnotes] + [f"← {label[c]}" for c in u.cited_by]
            pad = max(1, 14 - len(first_words(u.label, 100)) - sum(ord(c) > 0x2E80 for c in u.label))
            line = f"{u.label}{' ' * pad}{u.kind:<11} {first_words(u.plain_text)}"
            print(line + (f"  {' '.join(links)}" if links else ""))
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if warnings and not args.json:
        print(f"{len(warnings)} warning(s): check the paper before ingesting it", file=sys.stderr)
    return 0


def _confirm_large(prepared, s, yes: bool) -> bool:
    """A document expected to embed for longer than ILO_INGEST_CONFIRM_S says how long, and on a terminal
    asks; elsewhere (scripts, CI) it needs --yes. Small documents go ahead."""
    from ..models.embed import SECONDS_PER_TEXT

    texts = sum(len(p.units) + sum(len(u.sentences()) for u in p.units) for p in prepared)
    seconds = texts * SECONDS_PER_TEXT.get(s.embed_model, 0.2)
    if yes or seconds <= s.ingest_confirm_s:
        return True
    expected = f"{seconds:.0f} seconds" if seconds < 90 else f"{math.ceil(seconds / 60)} minutes"
    print(
        f"{texts:,} texts to embed with {s.embed_model}: about {expected} on a 2-core machine "
        "(less for what the cache already holds)",
        file=sys.stderr,
    )
    if not sys.stdin.isatty():
        return False
    try:
        return input("go ahead? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_remove(args) -> int:
    from ..documents import corpus as C
    from ..search.index import build_index

    s = _settings(args)
    known = {d.id for d in C.read_manifest(s.corpus_dir)}
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        return fail(f"no document {', '.join(unknown)} in the corpus (see: python -m assistant list)")
    report = build_index(s, progress=False, change=lambda: C.remove_from_corpus(s.corpus_dir, args.ids))
    print(
        f"removed {', '.join(args.ids)}; index {report.build_id}: {report.units} units in all; {report.seconds:.1f} s"
    )
    return 0


def cmd_list(args) -> int:
    from ..documents import corpus as C
    from ..documents.text import printable
    from .library import list_documents

    s = _settings(args)
    C.read_manifest(s.corpus_dir)  # no manifest is an error here (the chat window lists an empty corpus)
    rows, problem = list_documents(s)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for d in rows:
            units = f"{d['units']} units" if d["indexed"] else "not indexed"
            langs = d["language"] + "".join(
                f"+{lang}" + ("" if prov == "official" else " (machine translation)")
                for lang, prov in sorted(d["versions"].items())
            )
            print(printable(f"{d['id']}\t{d['symbol'] or '-'}\t{langs}\t{d['date'] or '-'}\t{units}\t{d['title']}"))
    if problem:
        print(f"warning: {problem}", file=sys.stderr)
    elif not all(d["indexed"] for d in rows):
        print(
            "note: a document 'not indexed' is in the corpus but not in the index (an ingest was interrupted, or "
            "the corpus was edited); run: python -m assistant ingest",
            file=sys.stderr,
        )
    return 0


def format_answer(a) -> str:
    """The answer for a terminal: document text never carries control characters or escape sequences to it."""
    from ..documents.text import printable

    lines = [a.answer]
    if a.mode == "generated":
        dropped = len((a.grounding or {}).get("dropped") or [])
        lines.append(
            f"({a.backend}; citations checked" + (f", {dropped} unsupported sentence(s) removed)" if dropped else ")")
        )
    if a.fallback:
        lines.append(f"(note: {a.fallback})")
    if a.citations:
        lines.append("")
        lines.append("Sources:")
        for c in a.citations:
            u = c.unit
            section = " > ".join(u.section)
            lines.append(f"  [{u.label}] {u.doc} — {section}")
            for symbol, doc in u.links:
                lines.append(f"      {symbol}: " + (f"in the corpus as {doc}" if doc else "not in the corpus"))
    return printable("\n".join(lines))


class BatchLine:
    """One line of a batch: its number, the request (or None) and the error that stops it (or None)."""

    def __init__(self, n: int, request: dict | None, error: str | None, warning: str | None = None):
        self.n, self.request, self.error, self.warning = n, request, error, warning


def read_batch(lines, need_question: bool = True):
    """BatchLines from an iterable of raw lines (bytes, as read from a file or stdin, or str), decoded and
    parsed one at a time as they arrive: a line that is not UTF-8 or not JSON is an error for that line
    only. A repeated "id" is answered with a warning naming the line that first used it."""
    seen: dict = {}
    for n, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as e:
            yield BatchLine(
                n,
                None,
                f"line {n}: not UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1}); save the file as UTF-8",
            )
            continue
        if not line.strip(" \t\n\r\x0b\x0c"):  # ASCII white space only: a line of other control characters is an error
            continue
        try:
            req = json.loads(line)
            if not isinstance(req, dict) or (need_question and "question" not in req):
                raise ValueError('each line must be a JSON object with a "question"')
            history = req.get("history") or []
            if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
                raise ValueError('"history" must be a list of {"role", "content"} objects')
        except (ValueError, RecursionError) as e:
            yield BatchLine(n, None, f"line {n}: {e}")
            continue
        warning = None
        rid = req.get("id")
        if rid is not None:
            key = json.dumps(rid, sort_keys=True)
            if key in seen:
                warning = f"line {n}: duplicate id {json.dumps(rid, ensure_ascii=False)} (first on line {seen[key]})"
            else:
                seen[key] = n
        yield BatchLine(n, req, None, warning)


def _read_batch(path: str, need_question: bool = True) -> list[tuple[int, dict | None, str | None]]:
    """(line number, request or None, error or None) for each non-empty JSON line of a file."""
    with open(path, "rb") as f:
        return [(x.n, x.request, x.error) for x in read_batch(f, need_question)]


def _answer_batch(args, s, out) -> int:
    """Answer a batch line by line as it is read (stdin too), each record written and flushed when made.
    Nothing a line holds can stop the others: every failure is that line's error record."""
    from ..engine import InvalidQuestion

    source = sys.stdin.buffer if args.batch == "-" else open(args.batch, "rb")  # noqa: SIM115
    engine = _engine(s)
    bad = 0
    try:
        for line in read_batch(iter(source.readline, b"")):
            req, err = line.request, line.error
            rid = req.get("id", line.n) if req else line.n
            if line.warning:
                print(f"warning: {line.warning}", file=sys.stderr)
            if err is None:
                try:
                    doc = req.get("doc", args.doc)
                    record = (
                        engine.in_mode(req.get("mode"))
                        .ask(req["question"], req.get("history"), retrieval=args.retrieval, qid=rid, doc=doc)
                        .to_dict()
                    )
                except InvalidQuestion as e:
                    err = f"line {line.n}: {e}"
                except Exception as e:  # noqa: BLE001 - one line's failure is its error record, never the run's
                    err = f"line {line.n}: could not be answered ({e or type(e).__name__}); the other lines go on"
            if err is not None:
                bad += 1
                print(f"error: {err}", file=sys.stderr)
                question = (req or {}).get("question")
                record = {
                    "id": rid,
                    "question": question if isinstance(question, str) else None,
                    "error": err,
                    "answered": False,
                }
            if line.warning:
                record["warning"] = line.warning
            out.write(json.dumps(record, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8") + "\n")
            out.flush()
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return EXIT_ERROR if bad else 0


def cmd_ask(args) -> int:
    from ..engine import InvalidQuestion, validate

    s = _settings(args)
    if args.batch:
        if args.batch != "-" and not Path(args.batch).is_file():
            return fail(f"cannot read {args.batch}: no such file", EXIT_USAGE)
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        try:
            return _answer_batch(args, s, out)
        finally:
            if out is not sys.stdout:
                out.close()

    if args.question is None:
        return fail('give a question, e.g. ask "What does paragraph 12 say?", or --batch FILE.jsonl', EXIT_USAGE)
    try:
        validate(args.question, s.max_question_chars)  # before loading any model
    except InvalidQuestion as e:
        return fail(str(e), EXIT_USAGE)
    events = _engine(s).ask_stream(args.question, retrieval=args.retrieval, doc=args.doc)
    a = _stream_to_terminal(events) if not args.json else [e for e in events if not isinstance(e, str)][-1]
    if args.json:
        print(json.dumps(a.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(a))
    return 0


def cmd_chat(args) -> int:
    from ..engine import InvalidQuestion

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
            a = _stream_to_terminal(engine.ask_stream(q, history))
        except InvalidQuestion as e:
            print(f"error: {e}")
            continue
        except Exception as e:  # noqa: BLE001 - one failed question does not end the conversation
            print(f"error: the question could not be answered ({e or type(e).__name__}); try again or rephrase it")
            continue
        print(format_answer(a))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": a.answer}]


def _stream_to_terminal(events, out=None, checked: str = "(checked answer)"):
    """Print a written answer's words as they come (a draft), then return the checked answer."""
    from ..documents.text import printable

    drafted = False
    for event in events:
        if isinstance(event, str):
            if not drafted:
                print("(draft) ", end="", file=out)
                drafted = True
            print(printable(event), end="", flush=True, file=out)
        else:
            if drafted:
                print(f"\n\n{checked}", file=out)
            return event
    raise RuntimeError("no answer")


def cmd_serve(args) -> int:
    """The HTTP API and the chat window in one warm process (server.py)."""
    from .server import run

    s = _settings(args)
    overrides = {k: v for k, v in (("serve_host", args.host), ("serve_port", args.port)) if v is not None}
    s = s.model_copy(update=overrides)
    return run(s, s.serve_host, s.serve_port, with_ui=not args.no_ui)


def cmd_doctor(args) -> int:
    """Check the installation and the data; exit 1 when anything needs doing (doctor.py)."""
    from .doctor import report, run_checks

    return report(run_checks(_settings(args), full=args.full), sys.stdout)


def cmd_models(args) -> int:
    from ..models import weights

    s = _settings(args)
    if args.action == "install":
        path = weights.install(args.name, s.models_dir)
        print(f"{args.name} installed and verified in {path}")
    if args.action in ("install", "export") and args.name == "embeddinggemma":
        return _export_onnx(s, args.force)
    if args.action == "export":
        return fail(f"only embeddinggemma has an ONNX export, not {args.name!r}", EXIT_USAGE)
    if args.action == "list":
        from ..models.onnx_gemma import is_exported

        for name in weights.MODELS:
            state = "installed" if weights.is_installed(s.models_dir, name) else "not installed"
            if name == "embeddinggemma" and weights.is_installed(s.models_dir, name):
                exported = is_exported(weights.model_dir(s.models_dir, name))
                state += ", ONNX export checked" if exported else ", no ONNX export"
            print(f"{name}: {state} ({weights.MODELS[name].licence})")
    return 0


def _export_onnx(s, force: bool = False) -> int:
    """EmbeddingGemma's ONNX export (queries without torch), made once and checked against the torch path;
    idempotent, so `make setup` runs it on a machine where the model was installed before."""
    from ..models import onnx_gemma, weights

    folder = weights.require(s.models_dir, "embeddinggemma")
    if onnx_gemma.is_exported(folder) and not force:
        print(f"embeddinggemma: checked ONNX export in {onnx_gemma.onnx_dir(folder)}")
        return 0
    try:
        target = onnx_gemma.export(folder, force=force)
    except onnx_gemma.ExportRejected as e:
        return fail(str(e))
    print(f"embeddinggemma: ONNX export written and checked in {target}")
    return 0


def cmd_eval(args) -> int:
    from ..evaluation import harness as E

    s = _settings(args)
    if args.export_feedback:
        from .feedback import FeedbackStore

        n = FeedbackStore(s.index_dir / "feedback.sqlite").export_gold_candidates(Path(args.export_feedback))
        print(f"{n} feedback records written to {args.export_feedback} as gold-set candidates")
        return 0
    from ..evaluation.split import DEV, part_of, read_split

    gold = E.load_gold(Path(args.gold)) if args.gold else E.load_gold()
    split = read_split(E.SPLIT)
    if args.calibrate:  # on the development part of every set (the unanswerable set adds refusal points)
        sets = [gold] + [
            E.load_gold(p) for p in (E.UNANSWERABLE, E.SYNTHETIC, E.UNSEEN) if not args.gold and p.exists()
        ]
        dev = [g for questions in sets for g in part_of(questions, split, DEV)]
        return _calibrate_refusal(_engine(s), dev, Path(args.out) if args.out else E.REPORTS)
    if args.part != "all":
        gold = part_of(gold, split, args.part)
    if args.limit:
        gold = E.subset(gold, args.limit)
    out_dir = Path(args.out) if args.out else E.REPORTS
    engine = None if args.answers else _engine(s)
    judge = _judge(s, engine)
    if args.judge:
        return _calibrate_judge(s, judge, out_dir)

    if args.answers:
        runs = {Path(args.answers).stem: _load_answers(args.answers)}
    elif args.answer_modes:
        runs = {}
        for mode in args.answer_modes.split(","):
            eng = _engine_for_mode(s, mode, engine)
            runs[f"{s.embed_model}-{args.retrieval}-{eng.backend}"] = E.run(eng, gold, retrieval=args.retrieval)
    elif args.compare == "versions":
        from ..engine import Engine

        bare = Engine(s, index=engine.index.without_versions(), embedder=engine.embedder, _slots=engine._slots)
        runs = {
            f"{s.embed_model}-{args.retrieval}-with-versions": E.run(engine, gold, retrieval=args.retrieval),
            f"{s.embed_model}-{args.retrieval}-original-only": E.run(bare, gold, retrieval=args.retrieval),
        }
    else:
        modes = ["hybrid", "dense", "keyword"] if args.compare else [args.retrieval]
        runs = {f"{s.embed_model}-{m}-extractive": E.run(engine, gold, retrieval=m) for m in modes}

    summaries: dict = {}
    main = list(E.MAIN)
    name = E.report_name(args.name or ("compare" if len(runs) > 1 else next(iter(runs))))
    per_config = {}
    for config, answers in runs.items():
        rows = E.score(gold, answers, judge)
        results = E.breakdown(rows)
        summaries[config] = results["all"]
        per_config[config] = (results, rows)
    plot = E.plot_comparison(summaries, main, out_dir / f"{name}.png")
    for config, (results, rows) in per_config.items():
        base = out_dir / E.report_name(config)
        record = {"config": config, "settings": s.model_dump(mode="json"), "results": results, "questions": rows}
        base.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        base.with_suffix(".md").write_text(E.markdown_report(config, results, rows, plot.name), encoding="utf-8")
    latency = ["ttft_p50_ms", "ttft_p95_ms"] if args.answer_modes else []
    table = E.comparison_table(summaries, main + latency + ["total_p50_ms", "total_p95_ms"])
    if len(runs) > 1:
        (out_dir / f"{name}.md").write_text(f"# Ablation\n\n![metrics]({plot.name})\n\n{table}\n", encoding="utf-8")
    print(table)
    print(f"\nreports in {out_dir}: {', '.join(E.report_name(c) for c in runs)} (.json, .md), {plot.name}")
    if args.check:
        floors = json.loads(E.THRESHOLDS.read_text(encoding="utf-8"))
        # The floors apply to the test part, which nothing was tuned on (all questions when it is absent).
        tested = {c: res.get("split=test", res["all"]) for c, (res, _) in per_config.items()}
        bad = [f"{c} (test part): {line}" for c, summ in tested.items() for line in E.check_floors(summ, floors)]
        for line in bad:
            print(f"REGRESSION {line}", file=sys.stderr)
        return EXIT_ERROR if bad else 0
    return 0


def _calibrate_refusal(engine, dev: list[dict], out_dir: Path) -> int:
    """Fit the refusal thresholds on the development part by cross-validation; print and record them."""
    from ..evaluation import harness as E

    fitted = E.calibrate_refusal(engine, dev)
    lines = ["| evidence | setting | now | fitted | accuracy (fit) | accuracy (5-fold CV) | fold thresholds | n |"]
    lines.append("|---" * 8 + "|")
    for key, r in fitted.items():
        now = getattr(engine.settings, r["setting"])
        folds = ", ".join(f"{t:.3f}" for t in r["fold_thresholds"])
        lines.append(
            f"| {key} | ILO_{r['setting'].upper()} | {now:.3f} | {r['threshold']:.3f} | {r['fit_accuracy']} | "
            f"{r['cv_accuracy']} | {folds} | {r['n']} |"
        )
    table = "\n".join(lines)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{E.report_name('refusal-calibration')}.json"
    path.write_text(json.dumps({"questions": len(dev), "fitted": fitted}, indent=1), encoding="utf-8")
    print(f"Refusal thresholds fitted on the development part ({len(dev)} questions):\n\n{table}\n\nrecorded in {path}")
    return 0


def _engine_for_mode(settings, mode: str, base):
    """An engine over the same index and embedder answering in `mode`: extractive, openai, local or
    local:MODEL (an installed chat model or a .gguf path)."""
    return base.in_mode(mode)


def _judge(settings, engine):
    from ..answers.judge import SupportJudge
    from ..models.embed import for_settings

    embedder = engine.embedder if engine else for_settings(settings)
    return SupportJudge(embedder, settings.support_threshold)


def _calibrate_judge(settings, judge, out_dir: Path) -> int:
    from ..documents.corpus import load_corpus
    from ..evaluation import harness as E

    _, units = load_corpus(settings.corpus_dir)
    result = E.calibrate_judge(judge, E.load_jsonl(E.SUPPORT_GOLD), {u.id: u.text for u in units})
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{E.report_name('judge')}-{settings.embed_model}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


def _load_answers(path: str) -> list[dict]:
    answers = []
    for _, req, err in _read_batch(path, need_question=False):
        if err:
            raise UsageError(err)
        answers.append(req)
    return answers


def cmd_brief(args) -> int:
    from . import brief as B

    s = _settings(args)
    from ..engine import InvalidQuestion, validate

    try:
        validate(args.topic, s.max_question_chars, "topic")  # before loading any model
    except InvalidQuestion as e:
        return fail(str(e), EXIT_USAGE)
    try:
        stream = B.build_briefing_stream(
            _engine(s), args.topic, language=args.lang, max_messages=args.messages, doc=args.doc
        )
        # The model's draft goes to stderr: stdout is the checked note (`brief TOPIC > note.md`).
        b = _stream_to_terminal(stream, out=sys.stderr, checked="(draft checked; the note follows on stdout)")
    except B.NoMaterial as e:
        return fail(str(e))
    md = B.to_markdown(b)
    if args.json:
        print(json.dumps(b.to_dict(), ensure_ascii=False, indent=2))
    if args.md:
        Path(args.md).write_text(md, encoding="utf-8")
    if args.docx:
        B.markdown_to_docx(md, Path(args.docx), b.symbol)
    if not args.json:
        print(md)
    return 0


def _engine(settings):
    from ..engine import Engine

    return Engine(settings)


def cmd_translate(args) -> int:
    """Machine-translate a document's units (default: every document lacking that language) and rebuild."""
    from ..documents import corpus as C

    s = _settings(args)
    docs = C.read_manifest(s.corpus_dir)
    if args.doc and args.doc not in {d.id for d in docs}:
        raise UsageError(f"no document {args.doc!r} in the corpus (it has {', '.join(d.id for d in docs)})")
    chosen = [d for d in docs if (d.id == args.doc if args.doc else d.language != args.to)]
    if args.doc and chosen[0].language == args.to:
        raise UsageError(f"{args.doc} is already in {args.to}")
    return _translate(s, chosen, args.to, args.quiet, index=not args.no_index)


def _translate(s, docs: list, target: str, quiet: bool, index: bool = True) -> int:
    """Translate documents into `target` with the configured model, store each version (under the index
    lock) and rebuild; a document with an official version in that language is left alone."""
    from ..documents import corpus as C
    from ..documents.terms import load_terms
    from ..documents.versions import read_versions, write_version
    from ..models.embed import for_settings
    from ..models.llm import backend_name, make_llm
    from ..search.index import build_index
    from ..translation.translate import TranslationCache, as_version, translate_units

    llm = make_llm(s)
    if llm is None:
        return fail(
            "translation needs a language model: run `make llm` (llama.cpp and a local model), or set "
            "ILO_ANSWER_MODE=openai with ILO_OPENAI_BASE_URL for a server"
        )
    model = backend_name(s)
    terms = load_terms(s.corpus_dir)
    embedder = for_settings(s)
    cache = TranslationCache(s.index_dir / "cache" / "translations.sqlite")
    try:
        for d in docs:
            if (v := read_versions(s.corpus_dir, d.id).get(target)) and v.official:
                print(f"{d.id}: has an official {target} version; not translated", file=sys.stderr)
                continue
            units = C.document_units(d, s.corpus_dir)
            report = translate_units(
                units,
                llm,
                model,
                terms,
                cache,
                d.language,
                target,
                embedder,
                s.translate_min_similarity,
                not quiet,
                attempts=s.translate_attempts,
            )
            version = as_version(d.id, target, model, units, report)
            if index:
                build_index(s, progress=not quiet, change=lambda v=version: write_version(s.corpus_dir, v))
            else:
                write_version(s.corpus_dir, version)
            print(f"{d.id}: machine translation into {target} stored and {'indexed' if index else 'not indexed'}")
            print(json.dumps(report.summary(), ensure_ascii=False, indent=1))
    finally:
        cache.close()
    return 0
