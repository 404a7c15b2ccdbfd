"""Parse the text of a Governing Body paper (as extracted from its PDF) into layout blocks.

Works from the printed layout's conventions, not from line numbers:
- front matter: agenda item, title, "purpose of the document", then `label：value` summary fields;
- Roman-numbered section headings (`I. 导言`), short unpunctuated sub-headings, numbered focus areas;
- numbered paragraphs, which run in sequence 1, 2, 3…; a paragraph a page break cut in two (with the
  page's footnotes in between) is stitched back together;
- footnotes: lines opening with a superscript number, also in sequence;
- bullet lists ("2019 deliverables"), each bullet a block;
- the draft decision (the paragraph under the "draft decision" heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_DIGIT = str.maketrans(SUPERSCRIPTS, "0123456789")

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_GAP = re.compile(f"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_CJK}])")
_EMPTY_LINK = re.compile(r"\[([^\]]*)\]\(#?\)")
_MULTISPACE = re.compile(r"[ \t\u00a0]{2,}")

_ROMAN = re.compile(r"^(?P<num>[IVX]{1,5})\.\s*(?P<text>\S.*)$")
# Paragraph numbers of any practical size (a billion; int() refuses numbers of thousands of digits).
_NUMBERED = re.compile(r"^(?P<num>\d{1,9})\.\s*(?P<text>\S.*)$")
_FOOTNOTE = re.compile(f"^(?P<num>[{SUPERSCRIPTS}]+)\\s*(?P<text>\\S.*)$")
_BULLET = re.compile(r"^[-•·▪●◦*]\s+(?P<text>\S.*)$")
_FIELD = re.compile(r"^(?P<label>[^：:。，,；;()（）]{2,24})[：:]\s*(?P<value>\S.*)$")
_AGENDA = re.compile(r"^(第.{1,6}项议程|.{0,12}item on the agenda)$", re.IGNORECASE)

PURPOSE = re.compile(r"^(文件的目的|Purpose of the document)", re.IGNORECASE)
DELIVERABLES = re.compile(r"(可交付的成果|deliverables)", re.IGNORECASE)
FOCUS_AREA = re.compile(r"(重点领域|focus area|area of focus)", re.IGNORECASE)
DECISION = re.compile(r"^(决定草案|Draft decision)$", re.IGNORECASE)

TERMINAL = tuple('。！？；：.!?;:”’"')
MAX_HEADING_CHARS = 48


@dataclass
class Block:
    """A piece of the layout: a paragraph, footnote, bullet, summary field or title."""

    kind: str  # title | purpose | field | paragraph | decision | footnote | deliverable | item | text
    text: str
    section: tuple[str, ...] = ()
    number: int | None = None  # paragraph or footnote number
    key: str | None = None  # summary field label
    area: int | None = None  # focus area number, for deliverables
    item: int | None = None  # position in its bullet list (or on its page, for unnumbered paragraphs)
    page: int | None = None  # page where an unnumbered paragraph starts


@dataclass
class ParsedDocument:
    blocks: list[Block] = field(default_factory=list)
    agenda_item: str = ""
    agenda_title: str = ""
    title: str = ""


class ParseError(ValueError):
    """The text does not follow the layout of a Governing Body paper."""


def clean_line(line: str) -> str:
    """Remove PDF-extraction noise without changing the wording."""
    line = _EMPTY_LINK.sub(r"\1", line)
    line = _CJK_GAP.sub("", line)
    line = _MULTISPACE.sub(" ", line)
    return line.strip()


def superscript_number(marker: str) -> int:
    return int(marker.translate(_SUP_TO_DIGIT))


def is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def join_fragments(head: str, tail: str) -> str:
    """Join two halves of a paragraph cut by a page break; a word cut in two is joined whole."""
    if not head:
        return tail
    if is_cjk(head[-1]) or is_cjk(tail[0]):
        return head + tail
    if head.endswith("-") and tail[:1].islower():
        return head[:-1] + tail
    return f"{head} {tail}"


def _finished(text: str) -> bool:
    return text.rstrip(SUPERSCRIPTS + " ").endswith(TERMINAL)


def _heading_like(text: str) -> bool:
    return len(text) <= MAX_HEADING_CHARS and not _finished(text)


def _split_front_matter(lines: list[str]) -> tuple[list[str], list[str]]:
    """Front matter runs until the first Roman heading or numbered paragraph 1."""
    for i, line in enumerate(lines):
        if _ROMAN.match(line):
            return lines[:i], lines[i:]
        m = _NUMBERED.match(line)
        if m and m["num"] == "1" and not _heading_like(m["text"]):
            return lines[:i], lines[i:]
    raise ParseError("no section heading or paragraph 1 found: not a Governing Body paper layout")


def _parse_front_matter(lines: list[str], doc: ParsedDocument) -> None:
    purpose_at = next((i for i, line in enumerate(lines) if PURPOSE.match(line)), None)
    head = lines if purpose_at is None else lines[:purpose_at]
    if head and _AGENDA.match(head[0]):
        doc.agenda_item, head = head[0], head[1:]
    if head:
        doc.title = head[-1]
        doc.agenda_title = " ".join(head[:-1])
    doc.blocks.append(
        Block("title", "\n".join(x for x in (doc.agenda_item, doc.agenda_title, doc.title) if x), ("Summary",))
    )
    if purpose_at is None:
        return
    section = (lines[purpose_at],)
    purpose: list[str] = []
    fields: list[Block] = []
    for line in lines[purpose_at + 1 :]:
        if m := _FIELD.match(line):
            fields.append(Block("field", line, section, key=m["label"].strip()))
        elif not fields:
            purpose.append(line)
    if purpose:
        doc.blocks.append(Block("purpose", "\n".join(purpose), section))
    doc.blocks.extend(fields)


def parse_text(text: str) -> ParsedDocument:
    """Parse a paper's extracted text into blocks, in reading order."""
    lines = [clean_line(x) for x in text.splitlines()]
    lines = [x for x in lines if x]
    if not lines:
        raise ParseError("the document is empty")
    front, body = _split_front_matter(lines)
    doc = ParsedDocument()
    _parse_front_matter(front, doc)

    section: list[str] = []  # [level-1 heading, level-2 heading, list heading]
    area: int | None = None
    next_para, next_note = 1, 1
    open_para: Block | None = None  # a paragraph still waiting for the rest of its text
    in_list = False
    items = 0

    def set_heading(level: int, text: str) -> None:
        nonlocal in_list, items, open_para
        del section[level:]
        section.append(text)
        in_list, items, open_para = bool(DELIVERABLES.search(text)), 0, None

    for line in body:
        if (m := _FOOTNOTE.match(line)) and superscript_number(m["num"]) == next_note:
            doc.blocks.append(Block("footnote", m["text"], tuple(section), number=next_note))
            next_note += 1
            continue
        if (m := _ROMAN.match(line)) and _heading_like(m["text"]):
            set_heading(0, line)
            area = None
            continue
        if m := _NUMBERED.match(line):
            num, rest = int(m["num"]), m["text"]
            if num == next_para and not (_heading_like(rest) and FOCUS_AREA.search(rest)):
                kind = "decision" if section and DECISION.match(section[-1]) else "paragraph"
                block = Block(kind, rest, tuple(section), number=num)
                doc.blocks.append(block)
                next_para += 1
                open_para = None if _finished(rest) else block
                in_list = False
                continue
            if _heading_like(rest):
                set_heading(1, line)
                area = num if FOCUS_AREA.search(rest) else None
                continue
        if m := _BULLET.match(line):
            items += 1
            kind = "deliverable" if in_list else "item"
            doc.blocks.append(Block(kind, m["text"], tuple(section), area=area, item=items))
            open_para = None
            continue
        if open_para is not None:
            open_para.text = join_fragments(open_para.text, line)
            if _finished(open_para.text):
                open_para = None
            continue
        if _heading_like(line):
            level = 2 if DELIVERABLES.search(line) and len(section) >= 2 else 1
            set_heading(min(level, len(section)), line)
            continue
        last = doc.blocks[-1]
        if last.kind in ("paragraph", "decision") and not in_list:
            last.text = join_fragments(last.text, line)  # an unnumbered run-on of the paragraph
        else:
            doc.blocks.append(Block("text", line, tuple(section)))

    if next_para == 1:
        raise ParseError("no numbered paragraphs found")
    return doc


def parse_pages(text: str) -> ParsedDocument:
    """A document without numbered paragraphs: paragraphs in page order (pages separated by form feeds,
    one page when there are none), short unpunctuated lines as headings, footnotes by their markers.
    An unfinished paragraph continues on the next line or page; each is cited by page and order."""
    doc = ParsedDocument()
    section: list[str] = []
    next_note = 1
    open_para: Block | None = None
    for page_no, page in enumerate(text.split("\f"), 1):
        on_page = 0
        for raw in page.splitlines():
            line = clean_line(raw)
            if not line:
                continue
            if (m := _FOOTNOTE.match(line)) and superscript_number(m["num"]) == next_note:
                doc.blocks.append(Block("footnote", m["text"], tuple(section), number=next_note))
                next_note += 1
                continue
            if open_para is not None:
                open_para.text = join_fragments(open_para.text, line)
                open_para = None if _finished(open_para.text) else open_para
                continue
            if _heading_like(line) and not _BULLET.match(line):
                if not doc.title:
                    doc.title = line
                section[:] = [line]
                continue
            on_page += 1
            block = Block("paragraph", line, tuple(section), item=on_page, page=page_no)
            doc.blocks.append(block)
            open_para = None if _finished(line) else block
    if not any(b.kind == "paragraph" for b in doc.blocks):
        raise ParseError("no paragraphs of text found")
    return doc


def parse_document(text: str) -> ParsedDocument:
    """A Governing Body paper's layout when the text has one (numbered paragraphs), else pages of text."""
    if not text.replace("\f", "").strip():
        raise ParseError("the document is empty")
    try:
        return parse_text(text)
    except ParseError:
        return parse_pages(text)
