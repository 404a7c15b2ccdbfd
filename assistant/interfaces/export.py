"""Export a conversation (questions with their cited answers) as Markdown or a Word document."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from ..documents.parse import SUPERSCRIPTS
from ..documents.text import xml_safe

DEFAULT_TITLE = "GB.334/INS/3/1 — conversation"
EAST_ASIAN_FONT = "WenQuanYi Micro Hei"
_MARKERS = f"[{SUPERSCRIPTS}]*"


def _date_line(when: datetime | None) -> str:
    return f"Exported {(when or datetime.now()).strftime('%Y-%m-%d %H:%M')}"


def _source_line(citation: dict) -> str:
    line = f"[{citation.get('label', '')}] {citation.get('doc', '')}"
    return f"{line} — {citation['section']}" if citation.get("section") else line


def _cited(answer: dict) -> list[dict]:
    """The citations worth printing: none for a refusal."""
    return list(answer.get("citations") or []) if answer.get("answered") else []


def _spans(text: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (segment, is_quoted) pieces, the quoted sentences located in it."""
    hits: list[tuple[int, int]] = []
    for quote in quotes:
        quote = quote.strip()
        if not quote:
            continue
        # Quotes come from the marker-free text while `text` keeps superscript footnote markers.
        pattern = _MARKERS.join(re.escape(ch) for ch in quote)
        m = re.search(pattern, text)
        if m and not any(m.start() < end and start < m.end() for start, end in hits):
            hits.append(m.span())
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted(hits):
        if start > pos:
            pieces.append((text[pos:start], False))
        pieces.append((text[start:end], True))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def _blockquote(text: str, indent: str = "") -> list[str]:
    return [f"{indent}> {line}".rstrip() for line in text.splitlines() or [""]]


def conversation_markdown(turns: list[dict], title: str = DEFAULT_TITLE, *, when: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer with inline labels, and the cited texts in full.

    `turns` are {"question": str, "answer": Answer.to_dict()}; `when` fixes the date line (default: now).
    """
    out = [f"# {title}", "", f"_{_date_line(when)}_", ""]
    for n, turn in enumerate(turns, 1):
        answer = turn.get("answer") or {}
        out += [f"## Q{n}. {turn.get('question') or answer.get('question', '')}", ""]
        for line in str(answer.get("answer", "")).splitlines():
            if line.strip():
                out += [line, ""]
        citations = _cited(answer)
        if not citations:
            continue
        out += ["**Sources**", ""]
        for c in citations:
            out.append(f"- {_source_line(c)}")
            out += ["", *_blockquote(c.get("text", ""), "  ")]
            quotes = [q.strip() for q in c.get("quote") or [] if q.strip()]
            if quotes:
                # On their own line: CommonMark ignores ** closing after "。" when a CJK character follows.
                out += ["  >", "  > " + " ".join(f"**{q}**" for q in quotes)]
            out.append("")
    return xml_safe("\n".join(out).rstrip() + "\n")  # no NUL, control character or lone surrogate: any file takes it


def _use_east_asian_font(document, font: str = EAST_ASIAN_FONT) -> None:
    """Name an explicit East Asian font everywhere the styles set one, so Chinese does not fall back to a Latin face."""
    from docx.oxml.ns import qn

    styles = document.styles
    styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts()
    # A theme attribute (eastAsiaTheme) wins over an explicit eastAsia one, so it has to go.
    for rfonts in styles.element.iter(qn("w:rFonts")):
        rfonts.attrib.pop(qn("w:eastAsiaTheme"), None)
        rfonts.set(qn("w:eastAsia"), font)


def _quote_style(document) -> str:
    names = {s.name for s in document.styles}
    return "Quote" if "Quote" in names else "Intense Quote"


def write_docx(turns: list[dict], path: Path, title: str = DEFAULT_TITLE, *, when: datetime | None = None) -> Path:
    """Write the conversation as a Word document (same content as `conversation_markdown`) and return `path`.
    Every string goes through `xml_safe`: no text (a NUL in a question, a control character in a document)
    can make the export fail."""
    from docx import Document

    document = Document()
    _use_east_asian_font(document)
    quote_style = _quote_style(document)
    document.add_heading(xml_safe(title), level=1)
    document.add_paragraph(_date_line(when))
    for n, turn in enumerate(turns, 1):
        answer = turn.get("answer") or {}
        document.add_heading(xml_safe(f"Q{n}. {turn.get('question') or answer.get('question', '')}"), level=2)
        for line in xml_safe(answer.get("answer", "")).splitlines():
            if line.strip():
                document.add_paragraph(line)
        citations = _cited(answer)
        if not citations:
            continue
        document.add_paragraph().add_run("Sources").bold = True
        for c in citations:
            document.add_paragraph(xml_safe(_source_line(c)))
            para = document.add_paragraph(style=quote_style)
            for segment, quoted in _spans(xml_safe(c.get("text", "")), [xml_safe(q) for q in c.get("quote") or []]):
                para.add_run(segment).bold = quoted or None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
