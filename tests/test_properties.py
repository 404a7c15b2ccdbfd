"""Property-based tests (Hypothesis) at every edge where text comes in or goes out: the question validator,
the batch reader, the ingest command-line options, the parser, the HTML renderers and the exports.

Each property runs a bounded number of examples (`max_examples` below; see the statistics with
`pytest tests/test_properties.py --hypothesis-show-statistics`) and needs no model: it stays fast in CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from assistant.documents.parse import SUPERSCRIPTS

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any code point, lone surrogates and controls included (st.text() leaves surrogates out by default).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
NASTY = st.sampled_from(
    list("\x00\x01\x07\x0b\x0c\x1b\x7f\x85\x9b\u200b\u200c\u200d\u2060\u202e\ufeff\ud800\udfff\ufffe<>&\"'\n\t\r")
    + ["e\u0301", "第", "¶", "。", "：", "¹", "²", "\U0001f600"]
)
TEXT = st.lists(st.one_of(ANY_CHAR, NASTY), max_size=120).map("".join)

_SUP = str.maketrans("0123456789", SUPERSCRIPTS)
# Lines shaped like a Governing Body paper's (numbered paragraphs, footnotes, headings, bullets, fields),
# mixed with anything: the parser sees both its layout and garbage.
LINE = st.one_of(
    st.builds(lambda n, t: f"{n}. {t}", st.integers(0, 10**12), TEXT),
    st.builds(lambda n, t: f"{str(n).translate(_SUP)} {t}", st.integers(1, 30), TEXT),
    st.builds(lambda r, t: f"{r}. {t}", st.sampled_from(["I", "II", "IV", "X"]), TEXT),
    st.builds(lambda t: f"- {t}", TEXT),
    st.builds(lambda k, v: f"{k}：{v}", st.text(min_size=2, max_size=10), TEXT),
    st.sampled_from(["文件的目的", "Purpose of the document", "决定草案", "2019 deliverables", "\f", "", "第12段"]),
    TEXT,
)
# Numbered paragraphs in sequence from 1 (some past 999), finished sentences: the parser's main layout.
PARAGRAPHS = st.builds(
    lambda k, t: "\n".join(f"{i}. {t} {i}." for i in range(1, k + 1)), st.sampled_from([1, 2, 5, 12, 1003]), TEXT
)
DOCUMENT = st.lists(st.one_of(LINE, PARAGRAPHS), max_size=40).map("\n".join)


# --- the question validator ------------------------------------------------------------------------------


@FAST
@given(TEXT)
def test_validator_gives_clean_text_or_a_clear_error(text):
    from assistant.engine import InvalidQuestion, validate

    try:
        q = validate(text, 150)
    except InvalidQuestion as e:
        assert str(e).startswith("the question ")
        return
    assert q and q == q.strip() and len(q) <= 150
    assert unicodedata.normalize("NFC", q) == q
    assert not re.search("[\ud800-\udfff]", q)
    assert all(c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs") for c in q)
    assert not re.search("[\u200b-\u200d\u2060\ufeff\u202a-\u202e]", q)
    assert validate(q, 150) == q  # sanitising is idempotent


# --- the batch reader -------------------------------------------------------------------------------------

REQUEST = st.fixed_dictionaries(
    {"question": TEXT},
    optional={"id": st.one_of(st.integers(), st.text(max_size=5), st.none()), "history": st.just([])},
)
RAW_LINE = st.one_of(
    REQUEST.map(lambda r: json.dumps(r).encode()),  # valid JSON (surrogates escaped as \ud800)
    st.binary(max_size=60),  # anything: bad UTF-8, stray newlines
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),  # encoded surrogates: not UTF-8
    st.just(b'{"question": 1}'),
    st.just(b"[]"),
)


@FAST
@given(st.lists(RAW_LINE, max_size=12))
@example(raw_lines=[b"\x1c"])  # a control character Python's str.strip() takes for white space: not a blank line
def test_batch_reader_gives_one_record_or_error_per_line(raw_lines):
    from assistant.interfaces.commands import read_batch

    data = b"\n".join(raw_lines) + b"\n"
    lines = io.BytesIO(data).readlines()
    out = list(read_batch(iter(lines)))
    nonblank = [n for n, x in enumerate(lines, 1) if x.strip() or not _utf8(x)]
    assert [x.n for x in out] == nonblank
    ids = set()
    for x in out:
        assert (x.request is None) != (x.error is None)
        if x.error:
            assert x.error.startswith(f"line {x.n}: ")
        else:
            assert isinstance(x.request, dict) and "question" in x.request
            key = json.dumps(x.request.get("id"), sort_keys=True)
            assert (x.warning is not None) == (x.request.get("id") is not None and key in ids)
            ids.add(key)


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# --- the ingest command-line options ----------------------------------------------------------------------


@FAST
@given(TEXT, TEXT)
def test_ingest_options_are_safe_or_a_usage_error(doc_id, lang):
    from assistant.documents.text import DOC_ID
    from assistant.interfaces.cli import build_parser

    for option, value in (("--id", doc_id), ("--lang", lang)):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                args = build_parser().parse_args(["ingest", "x.txt", option, value])
        except SystemExit as e:
            assert e.code == 2 and "usage:" in err.getvalue() and "Traceback" not in err.getvalue()
            continue
        if option == "--id":
            assert DOC_ID.fullmatch(args.id) and ".." not in args.id and "/" not in args.id
        else:
            assert re.fullmatch(r"[A-Za-z0-9-]+", args.lang) and not args.lang.startswith("-")


@FAST
@given(st.from_regex(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?", fullmatch=True))
def test_well_formed_language_tags_are_accepted(tag):
    from assistant.documents.text import check_language

    assert check_language(tag) == tag.split("-")[0]


# --- the parser -------------------------------------------------------------------------------------------


@FAST
@given(DOCUMENT)
def test_parser_gives_units_or_a_parse_error(text):
    from assistant.documents.parse import ParseError, parse_document
    from assistant.documents.text import UnsafeText, sanitize_document
    from assistant.documents.units import build_units

    try:
        clean = sanitize_document(text)
    except UnsafeText:
        event("refused: lone surrogate")
        return  # refused with a clear message before parsing (read_file makes it a CorpusError)
    try:
        parsed = parse_document(clean)
    except ParseError as e:
        event("ParseError")
        assert str(e)
        return
    units = build_units(parsed, "doc")
    event("numbered paragraphs" if any(u.paragraph for u in units) else "pages of text")
    assert units and len({u.id for u in units}) == len(units)
    numbers = [u.paragraph for u in units if u.paragraph is not None]
    assert numbers == sorted(numbers)


# --- the HTML renderers: no document text makes markup ------------------------------------------------------

_OWN_TAGS = re.compile(r"</?(?:a|p|div|h[1-6]|small|sup|mark|b|br|span)(?:\s[^<>]*)?>")


def _no_markup_from_text(html: str) -> None:
    assert "<" not in _OWN_TAGS.sub("", html), html


@SLOW
@given(DOCUMENT, TEXT)
def test_rendered_document_text_is_always_escaped(text, query):
    from assistant.documents.parse import ParseError, parse_document
    from assistant.documents.text import UnsafeText, sanitize_document
    from assistant.documents.units import build_units
    from assistant.interfaces import render

    try:
        units = build_units(parse_document(sanitize_document(text)), "d<1>")
    except (ParseError, UnsafeText):
        return
    by_id = {u.id: u for u in units}
    _no_markup_from_text(render.document_html(units, query, titles={"d<1>": "<b>title</b>"}))
    for u in units[:5]:
        _no_markup_from_text(render.source_html(u, by_id, [query, u.plain_text[:10]]))
    citations = [{"label": u.label, "id": u.id, "doc": u.doc} for u in units[:3]]
    answer = {"answer": " ".join(f"{u.plain_text} [{u.label}]" for u in units[:3]) + query, "citations": citations}
    _no_markup_from_text(render.answer_html(answer, {"d<1>": "<i>x</i>"}))


# --- the exports --------------------------------------------------------------------------------------------


@SLOW
@given(TEXT, TEXT, st.lists(TEXT, max_size=3))
def test_exports_never_fail_on_text(question, text, quotes):
    import tempfile
    from pathlib import Path

    from docx import Document

    from assistant.interfaces.brief import markdown_to_docx
    from assistant.interfaces.export import conversation_markdown, write_docx

    citation = {"label": text[:5], "doc": "d", "section": text[:9], "text": text, "quote": quotes, "id": "d:p1"}
    turns = [{"question": question, "answer": {"answer": text, "answered": True, "citations": [citation]}}]
    with tempfile.TemporaryDirectory() as tmp:
        md = conversation_markdown(turns, title=question)
        Path(tmp, "c.md").write_text(md, encoding="utf-8")
        Document(str(write_docx(turns, Path(tmp, "c.docx"), title=question)))
        Document(str(markdown_to_docx(f"# {question}\n- {text} [¶1]\n> {text}\n*{question}*", Path(tmp, "n.docx"))))


@pytest.mark.parametrize("title", ["", "\x00", "\ud800"])
def test_export_titles(tmp_path, title):
    from assistant.interfaces.export import write_docx

    assert write_docx([], tmp_path / "t.docx", title=title).exists()


def test_highlighting_several_sentences_never_marks_inside_a_mark():
    """Found by the property above: marking "0." then "a" put a mark inside the first <mark> tag."""
    from assistant.interfaces.render import _highlight

    assert _highlight("0. ", ["a", "0."]) == "<mark>0.</mark> "
    assert _highlight("a < b. c & d.", ["c & d.", "a < b."]) == "<mark>a &lt; b.</mark> <mark>c &amp; d.</mark>"
