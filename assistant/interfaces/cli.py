"""Command line: `python -m assistant ingest | units | remove | list | ask | chat | serve | eval | brief |
translate | doctor | models`.

Argument parsing only; the command bodies are in commands.py. Nothing heavy is imported here.
"""

from __future__ import annotations

import argparse
import os

from .commands import (
    EXIT_USAGE,
    UsageError,
    cmd_ask,
    cmd_brief,
    cmd_chat,
    cmd_doctor,
    cmd_eval,
    cmd_ingest,
    cmd_list,
    cmd_models,
    cmd_remove,
    cmd_serve,
    cmd_translate,
    cmd_units,
    fail,
)


def _checked(check, what: str):
    """An argparse type from a text.check_* function: a bad value is a usage error (exit 2) before any work."""

    def parse(value: str) -> str:
        try:
            check(value)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return value

    parse.__name__ = what
    return parse


def build_parser() -> argparse.ArgumentParser:
    from ..documents.text import check_doc_id, check_language

    p = argparse.ArgumentParser(
        prog="python -m assistant",
        description="Ask questions about ILO paper GB.334/INS/3/1 (Chinese or English); answers cite paragraphs.",
    )
    p.add_argument("--index", help="index folder (default: index/, or ILO_INDEX_DIR)")
    p.add_argument("--corpus", help="corpus folder (default: corpus/, or ILO_CORPUS_DIR)")
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser(
        "ingest",
        help="add or replace documents (PDF, DOCX, HTML, Markdown, text), or refresh the index from the corpus",
    )
    ing.add_argument("paths", nargs="*", metavar="PATH", help="files to add; a document with the same id is replaced")
    ing.add_argument("--symbol", help="document symbol, e.g. GB.334/INS/4 (default: read from the file)")
    ing.add_argument("--title", help="title (default: the file's)")
    ing.add_argument(
        "--lang",
        type=_checked(check_language, "language code"),
        help="BCP 47 language code, e.g. zh, en, fr, es, zh-Hans (default: the file's, or detected)",
    )
    ing.add_argument("--date", help="date, e.g. 2018-10 (default: the file's)")
    ing.add_argument(
        "--id",
        type=_checked(check_doc_id, "document id"),
        help="document id: letters, digits, '.', '_', '-' (default: the symbol with / as -, or the file name)",
    )
    ing.add_argument(
        "--version-of",
        metavar="SYMBOL",
        help="the file is an official language version (same paragraph numbers) of this document (symbol or id)",
    )
    ing.add_argument(
        "--translate",
        metavar="LANG",
        help="then machine-translate the added documents into LANG with the configured model (see: translate)",
    )
    ing.add_argument("--quiet", action="store_true", help="no progress bars")
    ing.add_argument(
        "--yes", action="store_true", help="ingest a large document without asking (needed when not on a terminal)"
    )
    ing.set_defaults(func=cmd_ingest)

    un = sub.add_parser(
        "units", help="dry run: the units a file would give (label, kind, first words, footnotes), with warnings"
    )
    un.add_argument("path", metavar="PATH", help="a PDF, DOCX, HTML, Markdown or text file")
    un.add_argument("--json", action="store_true", help="print the units and the warnings as JSON")
    un.add_argument("--symbol", help="document symbol (default: read from the file)")
    un.add_argument("--lang", help="language code (default: the file's, or detected)")
    un.add_argument("--id", help="document id (default: the symbol with / as -, or the file name)")
    un.set_defaults(func=cmd_units)

    rm = sub.add_parser("remove", help="remove documents from the corpus and the index")
    rm.add_argument("ids", nargs="+", metavar="ID", help="document ids (see: list)")
    rm.set_defaults(func=cmd_remove)

    ls = sub.add_parser("list", help="the documents in the corpus")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    ask = sub.add_parser("ask", help="answer one question, or a JSONL batch")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--json", action="store_true", help="print the JSON answer")
    ask.add_argument("--batch", metavar="FILE.jsonl", help='lines {"id", "question", "history"}; "-" reads stdin')
    ask.add_argument("--output", metavar="FILE.jsonl", help="write batch answers here (default: stdout)")
    ask.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], default="hybrid")
    ask.add_argument("--top-k", type=int, help="units retrieved (default 5)")
    ask.add_argument("--doc", metavar="ID", help="ask about this document only (default: all; see: list)")
    ask.add_argument(
        "--mode",
        choices=["extractive", "local", "openai"],
        help="who writes the answer (default: ILO_ANSWER_MODE, else a local model when installed); a batch "
        'line\'s "mode" wins',
    )
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="a conversation in the terminal; follow-up questions use the history")
    chat.set_defaults(func=cmd_chat)

    srv = sub.add_parser(
        "serve",
        help="one warm process: the HTTP API (/v1/ask, OpenAI-compatible /v1/chat/completions) and the chat window",
    )
    srv.add_argument("--host", help="address to bind (default: 127.0.0.1, or ILO_SERVE_HOST)")
    srv.add_argument("--port", type=int, help="port (default: 7860, or ILO_SERVE_PORT)")
    srv.add_argument("--no-ui", action="store_true", help="the API only, without the chat window")
    srv.set_defaults(func=cmd_serve)

    ev = sub.add_parser("eval", help="score the assistant (or answers made elsewhere) on the gold questions")
    ev.add_argument(
        "--compare",
        nargs="?",
        const="retrieval",
        choices=["retrieval", "versions"],
        help="side by side: hybrid, dense-only and keyword-only retrieval (default), "
        "or with and without the documents' language versions (versions)",
    )
    ev.add_argument(
        "--part", choices=["all", "dev", "test"], default="all", help="gold questions of this split part (default: all)"
    )
    ev.add_argument(
        "--calibrate",
        action="store_true",
        help="fit the refusal thresholds by cross-validation on the development part and print them",
    )
    ev.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], default="hybrid")
    ev.add_argument(
        "--answer-modes",
        metavar="M1,M2",
        help="compare answer modes, e.g. extractive,local:qwen2.5-1.5b,local:qwen2.5-0.5b,openai",
    )
    ev.add_argument("--limit", type=int, help="only N questions spread over the gold set (slow modes)")
    ev.add_argument("--answers", metavar="FILE.jsonl", help="score these JSON answers instead of running")
    ev.add_argument("--gold", metavar="FILE.jsonl", help="gold questions (default: eval/gold/questions.jsonl)")
    ev.add_argument("--name", help="report name (default: <date>-<config>)")
    ev.add_argument("--out", metavar="DIR", help="report folder (default: eval/reports)")
    ev.add_argument("--check", action="store_true", help="exit 1 when a metric falls below eval/thresholds.json")
    ev.add_argument("--export-feedback", metavar="FILE.jsonl", help="write the UI's feedback as gold candidates")
    ev.add_argument("--judge", action="store_true", help="validate the support judge on eval/gold/support.jsonl")
    ev.set_defaults(func=cmd_eval)

    br = sub.add_parser("brief", help="a cited briefing note on a topic, for UN Resident Coordinators")
    br.add_argument("topic", help='e.g. "South-South cooperation" or "透明度"')
    br.add_argument("--lang", choices=["en", "zh"], help="language of the note (default: the topic's)")
    br.add_argument("--messages", type=int, default=5, help="key messages, 3 to 7 (default 5)")
    br.add_argument("--md", metavar="FILE.md", help="also write the note as Markdown")
    br.add_argument("--docx", metavar="FILE.docx", help="also write the note as DOCX")
    br.add_argument("--json", action="store_true", help="print the note as JSON (messages with their citations)")
    br.add_argument("--doc", metavar="ID", help="draw on one document only (ids: `list`); default: all")
    br.set_defaults(func=cmd_brief)

    tr = sub.add_parser(
        "translate",
        help="machine-translate documents into another language (labelled; the original stays authoritative)",
    )
    tr.add_argument("doc", nargs="?", metavar="DOC", help="document id (default: every document not in that language)")
    tr.add_argument("--to", default="en", help="target language code (default: en)")
    tr.add_argument("--no-index", action="store_true", help="do not rebuild the index afterwards")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(func=cmd_translate)

    doc = sub.add_parser("doctor", help="check the models, the index and the corpus; say what to do about problems")
    doc.add_argument("--full", action="store_true", help="also recompute the embedding model's sha256 digests")
    doc.set_defaults(func=cmd_doctor)

    mod = sub.add_parser(
        "models",
        help="install or list the offline models; `install embeddinggemma` also exports it to ONNX (`export` alone "
        "for a model installed before)",
    )
    mod.add_argument("action", choices=["install", "export", "list"])
    mod.add_argument("name", nargs="?", default="embeddinggemma")
    mod.add_argument("--force", action="store_true", help="export: export again even when a checked export exists")
    mod.set_defaults(func=cmd_models)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    from ..documents.corpus import CorpusError
    from ..engine import InvalidQuestion
    from ..models.weights import ModelMissing
    from ..search.index import IndexError_

    try:
        return args.func(args)
    except (IndexError_, CorpusError, ModelMissing, InvalidQuestion) as e:
        return fail(str(e))
    except UsageError as e:
        return fail(str(e), EXIT_USAGE)
    except ValidationError as e:  # a bad ILO_* value: name it and what it should be
        bad = "; ".join(f"ILO_{'_'.join(map(str, x['loc'])).upper()}: {x['msg']}" for x in e.errors())
        return fail(f"a setting is not valid: {bad}; correct it in the environment", EXIT_USAGE)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Exception as e:  # noqa: BLE001 - never a bare traceback; ILO_DEBUG=1 shows it
        if os.environ.get("ILO_DEBUG"):
            raise
        return fail(
            f"the command failed unexpectedly ({e or type(e).__name__}); run `python -m assistant doctor` to check the "
            "installation and data, and set ILO_DEBUG=1 to see the details"
        )
