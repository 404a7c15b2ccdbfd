"""Parse the text of a Governing Body paper (as extracted from its PDF) into layout blocks.

Works from the printed layout's conventions, not from line numbers:
- front matter: agenda item, title, "purpose of the document", then `label：value` summary fields;
- Roman-numbered section headings (`I. 导言`), short unpunctuated sub-headings, numbered focus areas;
- numbered paragraphs, which run in sequence 1, 2, 3…; a paragraph a page break cut in two (with the
  page's footnotes in between) is stitched back together;
- footnotes: lines opening with a superscript number, also in sequence;
- bullet lists ("2019 deliverables"), each bullet a block;
- the draft decision (the paragraph under the "draft decision" heading);
- hard-wrapped text (`pdftotext`, a copy from a PDF viewer, a re-typed copy with short lines): a line
  that opens no paragraph, footnote, bullet or heading continues the block before it, and a line that
  runs to the right margin says its block goes on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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
_ONLY_MARKERS = re.compile(f"^[{SUPERSCRIPTS}]+$")
_MARKERS = re.compile(f"[{SUPERSCRIPTS}]+")
_BULLET = re.compile(r"^[-•·▪●◦*]\s+(?P<text>\S.*)$")
_FIELD = re.compile(r"^(?P<label>[^：:。，,；;()（）]{2,24})[：:]\s*(?P<value>\S.*)$")
_AGENDA = re.compile(r"^(第.{1,6}项议程|.{0,12}item on the agenda)$", re.IGNORECASE)

PURPOSE = re.compile(r"^(文件的目的|Purpose of the document)", re.IGNORECASE)
DELIVERABLES = re.compile(r"(可交付的成果|deliverables)", re.IGNORECASE)
FOCUS_AREA = re.compile(r"(重点领域|focus area|area of focus)", re.IGNORECASE)
DECISION = re.compile(r"^(决定草案|Draft decision)$", re.IGNORECASE)

TERMINAL = tuple('。！？；：.!?;:”’"')
FULL_STOP = tuple("。！？.!?")
MAX_HEADING_CHARS = 48
WRAP_MIN_LINES = 30  # fewer lines tell too little about a text's line widths
HEADING_SHARE = 0.6  # a wrapped heading's line fills at least this share of the measure
WRAP_TOLERANCE = 0.06  # a full line may fall this share short of the measure (proportional fonts)


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
    return len(text) <= MAX_HEADING_CHARS and not _finished(text) and not _FOOTNOTE.match(text)


def _width(text: str) -> int:
    """Printed width in columns: CJK characters take two, others one."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def starts_block(line: str) -> bool:
    """The line opens a numbered paragraph or heading, a Roman heading, a footnote or a bullet."""
    return bool(_NUMBERED.match(line) or _ROMAN.match(line) or _FOOTNOTE.match(line) or _BULLET.match(line))


def _measure(widths: list[int]) -> int | None:
    """The width lines are cut at, when most lines come close to it and none goes much beyond it."""
    ordered = sorted(widths)
    if len(ordered) < WRAP_MIN_LINES:
        return None
    measure = ordered[int(0.9 * (len(ordered) - 1))]
    near = sum(w >= 0.85 * measure for w in ordered) / len(ordered)
    wider = sum(w > 1.2 * measure for w in ordered) / len(ordered)
    return measure if near >= 0.3 and wider <= 0.02 else None


class _Lines:
    """The text's lines, and, for a hard-wrapped text, which of them run to the right margin.

    Text copied from a PDF viewer, `pdftotext` output or a re-typed copy with short lines cuts every
    paragraph into lines of about the same width. Such a text is recognised by its widths: most lines
    are close to the widest usual one (the measure) and none is much wider. In it, a line *fills the
    measure* when the next line's first word would not have fitted after it: the block goes on. In text
    with one line per paragraph there is no measure, and no line fills it."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        # Lines are cut by printed width (a PDF) or by a count of characters (a re-typed copy): both are
        # measured, and a line fills the measure by either. Where the cut varies (a copy typed by hand),
        # the line and the next one's first word overflow it at least as much as the narrower lines cut
        # in mid-sentence do.
        self.limits: list[tuple[Callable[[str], int], float, int]] = []
        for metric in (_width, len):
            measure = _measure([metric(x) for x in lines])
            if measure is None:
                continue
            cut = sorted(
                metric(self._with_next_word(i))
                for i in range(len(lines) - 1)
                if not _finished(lines[i]) and not starts_block(lines[i + 1])
            )
            limit = (1 - WRAP_TOLERANCE) * measure
            if len(cut) >= 10:  # enough lines cut in mid-sentence to tell the narrowest cut
                limit = min(limit, max(cut[len(cut) // 10] - 1, 0.6 * measure))
            self.limits.append((metric, limit, measure))
        self.wrapped = bool(self.limits)

    def _with_next_word(self, i: int) -> str:
        line, nxt = self.lines[i], self.lines[i + 1]
        word = nxt[0] if is_cjk(nxt[0]) else nxt.split()[0]
        return line + ("" if is_cjk(line[-1]) or is_cjk(word[0]) else " ") + word

    def full(self, i: int, heading: bool = False) -> bool:
        """Line i runs to the right margin: the next line's first word would not have fitted on it. A
        heading, kept with what follows it, is taken to go on when it fills most of the line."""
        if not self.wrapped or not 0 <= i < len(self.lines) - 1:
            return False
        text = self._with_next_word(i)
        return any(
            metric(text) > (HEADING_SHARE * measure if heading else limit) for metric, limit, measure in self.limits
        )

    def run(self, i: int) -> tuple[int, str]:
        """The last line and the text of the run of lines from i joined while each fills the measure,
        ends in mid-sentence and the next opens no block (a heading wrapped over lines)."""
        j, text = i, self.lines[i]
        while self.full(j) and not _finished(self.lines[j]) and not starts_block(self.lines[j + 1]):
            j += 1
            text = join_fragments(text, self.lines[j])
        return j, text


def _split_front_matter(lines: _Lines) -> int:
    """Front matter runs until the first Roman heading or numbered paragraph 1: its number of lines."""
    for i, line in enumerate(lines.lines):
        if _ROMAN.match(line):
            return i
        m = _NUMBERED.match(line)
        if m and m["num"] == "1" and not _heading_like(_NUMBERED.match(lines.run(i)[1])["text"]):
            return i
    raise ParseError("no section heading or paragraph 1 found: not a Governing Body paper layout")


def _front_matter_lines(lines: _Lines, end: int) -> list[str]:
    """The front matter's lines, each wrapped line joined to the one it continues; a summary field
    goes on until its full stop, over the lines that open no field."""
    out: list[str] = []
    for i, line in enumerate(lines.lines[:end]):
        last = out[-1] if out else ""
        stopped = last.rstrip(SUPERSCRIPTS + " ").endswith(FULL_STOP)
        if PURPOSE.match(line) or (stopped and (_FIELD.match(line) or _FIELD.match(last))):
            out.append(line)
        elif out and (lines.full(i - 1) or (_FIELD.match(last) and not stopped and not _FIELD.match(line))):
            out[-1] = join_fragments(last, line)
        else:
            out.append(line)
    return out


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


_BODY = ("paragraph", "decision", "deliverable", "item", "text")


def parse_text(text: str) -> ParsedDocument:
    """Parse a paper's extracted text into blocks, in reading order.

    Each line opens a block (a numbered paragraph, footnote, bullet or heading) or continues one: the
    block of the line before when that block is still open (its text is cut short, or, in a hard-wrapped
    text, its line runs to the right margin), else a paragraph that a page break cut, with the page's
    footnotes in between. A line of footnote markers alone belongs to the text before it."""
    lines = _Lines([x for x in (clean_line(x) for x in text.splitlines()) if x])
    if not lines.lines:
        raise ParseError("the document is empty")
    start = _split_front_matter(lines)
    doc = ParsedDocument()
    _parse_front_matter(_front_matter_lines(lines, start), doc)

    section: list[str] = []  # [level-1 heading, level-2 heading, list heading]
    area: int | None = None
    next_para, next_note = 1, 1
    prev: Block | None = None  # the block the previous line went into (None after a heading)
    heading_open = False  # the previous line was a heading that runs to the right margin
    waiting: Block | None = None  # a body block cut by a page break, with footnotes after it
    cited: set[int] = set()  # footnote markers met in the body so far
    in_list = False
    items = 0

    def set_heading(level: int, text: str) -> None:
        nonlocal in_list, items, waiting, prev
        del section[level:]
        section.append(text)
        in_list, items, waiting, prev = bool(DELIVERABLES.search(text)), 0, None, None

    def add(block: Block) -> Block:
        nonlocal prev
        doc.blocks.append(block)
        prev = block
        if block.kind != "footnote":
            cited.update(_markers(block.text))
        return block

    def extend(block: Block, line: str) -> None:
        nonlocal prev, waiting
        block.text = join_fragments(block.text, line)
        if block.kind != "footnote":
            cited.update(_markers(line))
        if block is waiting:
            waiting = None
        prev = block

    def is_open(block: Block | None, i: int) -> bool:
        return block is not None and (lines.full(i - 1) or not _finished(block.text))

    def heading_run(i: int, depth: int = 0) -> tuple[int, str] | None:
        """The heading starting at line i (its last line and text), if the lines look like one: short,
        without closing punctuation, and followed by nothing, a paragraph, a bullet or another heading
        (not by footnotes: text cut by the page break stands before them, a heading is kept with what
        follows)."""
        j, text = lines.run(i)
        if not _heading_like(text):
            return None
        after = lines.lines[j + 1] if j + 1 < len(lines.lines) else ""
        if not after or (starts_block(after) and not _FOOTNOTE.match(after)):
            return j, text
        return (j, text) if depth < 2 and heading_run(j + 1, depth + 1) else None

    def in_notes(i: int) -> bool:
        """The next line that opens a block is the next footnote."""
        after = next((x for x in lines.lines[i + 1 :] if starts_block(x)), "")
        return bool((m := _FOOTNOTE.match(after)) and superscript_number(m["num"]) == next_note)

    i = start
    n = len(lines.lines)
    while i < n:
        line = lines.lines[i]
        i += 1
        here = i - 1
        was_heading_open, heading_open = heading_open, False
        if _ONLY_MARKERS.match(line) and (prev or waiting or (doc.blocks[-1] if doc.blocks else None)):
            extend(prev or waiting or doc.blocks[-1], line)  # a marker the line break pushed onto its own line
            continue
        if (m := _FOOTNOTE.match(line)) and superscript_number(m["num"]) == next_note:
            number = next_note
            # In wrapped text a line may start with a marker cited in the sentence the line continues.
            continues = lines.full(here - 1) and prev is not None and prev.kind in _BODY and number not in cited
            if not continues:
                if prev is not None and prev.kind in _BODY and is_open(prev, here):
                    waiting = prev
                add(Block("footnote", m["text"], tuple(section), number=number))
                next_note += 1
                continue
        if (m := _ROMAN.match(line)) and (run := lines.run(here)) and _heading_like(_ROMAN.match(run[1])["text"]):
            set_heading(0, run[1])
            heading_open = lines.full(run[0], heading=True)
            area, i = None, run[0] + 1
            continue
        if m := _NUMBERED.match(line):
            num = int(m["num"])
            j, run = lines.run(here)
            rest = _NUMBERED.match(run)["text"]
            if num == next_para and not (_heading_like(rest) and FOCUS_AREA.search(rest)):
                kind = "decision" if section and DECISION.match(section[-1]) else "paragraph"
                add(Block(kind, m["text"], tuple(section), number=num))
                next_para += 1
                waiting, in_list = None, False
                continue
            # in wrapped text, a line that starts with a number may go on with a sentence cut short
            if _heading_like(rest) and not (lines.wrapped and prev is not None and not _finished(prev.text)):
                set_heading(1, run)
                area = num if FOCUS_AREA.search(rest) else None
                heading_open = lines.full(j, heading=True)
                i = j + 1
                continue
        if m := _BULLET.match(line):
            items += 1
            kind = "deliverable" if in_list else "item"
            add(Block(kind, m["text"], tuple(section), area=area, item=items))
            waiting = None
            continue
        if was_heading_open and section:
            # the rest of a heading wrapped over lines
            set_heading(len(section) - 1, join_fragments(section[-1], line))
            heading_open = lines.full(here, heading=True)
            continue
        if prev is not None and prev.kind == "footnote" and waiting is not None:
            if in_notes(here):
                extend(prev, line)  # more footnotes follow: this line is still in the foot of the page
                continue
            if not lines.wrapped:
                extend(waiting, line)  # one line per block: the line after the footnotes is the paragraph's
                continue
        if prev is not None and is_open(prev, here):
            # The block before goes on, unless that block was complete and this is a heading; a complete
            # footnote is not continued while a paragraph cut by the page break waits for its rest.
            cut_short = not _finished(prev.text)
            if not cut_short and heading_run(here):
                pass
            elif prev.kind == "footnote" and not cut_short and waiting is not None:
                extend(waiting, line)
                continue
            else:
                extend(prev, line)
                continue
        if waiting is not None and (not _finished(waiting.text) or not heading_run(here)):
            extend(waiting, line)
            continue
        run = heading_run(here) if lines.wrapped else lines.run(here)
        if run and _heading_like(run[1]):
            level = 2 if DELIVERABLES.search(run[1]) and len(section) >= 2 else 1
            set_heading(min(level, len(section)), run[1])
            heading_open = lines.full(run[0], heading=True)
            i = run[0] + 1
            continue
        last = prev if prev is not None and lines.wrapped else doc.blocks[-1]
        if last.kind in ("paragraph", "decision") and not in_list or (lines.wrapped and last.kind in _BODY):
            extend(last, line)  # an unnumbered run-on of the paragraph
        else:
            add(Block("text", line, tuple(section)))

    if next_para == 1:
        raise ParseError("no numbered paragraphs found")
    for b in doc.blocks:  # a link cut by a line break is whole again
        b.text = _EMPTY_LINK.sub(r"\1", b.text)
    return doc


def _markers(text: str) -> list[int]:
    return [superscript_number(m) for m in _MARKERS.findall(text)]


def parse_pages(text: str) -> ParsedDocument:
    """A document without numbered paragraphs: paragraphs in page order (pages separated by form feeds,
    one page when there are none), short unpunctuated lines as headings, footnotes by their markers.
    An unfinished paragraph continues on the next line or page, as does, in hard-wrapped text, one whose
    line runs to the right margin; a footnote goes on the same way. Each is cited by page and order."""
    doc = ParsedDocument()
    section: list[str] = []
    next_note = 1
    open_para: Block | None = None
    open_note: Block | None = None  # the footnote the previous line went into
    pages = [[x for x in (clean_line(raw) for raw in page.splitlines()) if x] for page in text.split("\f")]
    lines = _Lines([x for page in pages for x in page])
    k = -1  # the line's index in `lines`

    def goes_on(block: Block, i: int) -> bool:
        """The block goes on after line i: cut short, or its line runs to the margin before more text
        (a complete sentence that ends a line near the margin is taken to go on: nothing else tells)."""
        after = lines.lines[i + 1] if i + 1 < len(lines.lines) else ""
        return not _finished(block.text) or (lines.full(i) and not starts_block(after))

    for page_no, page in enumerate(pages, 1):
        on_page = 0
        for line in page:
            k += 1
            if (m := _FOOTNOTE.match(line)) and superscript_number(m["num"]) == next_note:
                open_note = Block("footnote", m["text"], tuple(section), number=next_note)
                doc.blocks.append(open_note)
                next_note += 1
                continue
            # a footnote goes on, unless a paragraph cut by the page break waits (in text that is not hard-wrapped)
            if open_note is not None and goes_on(open_note, k - 1) and (open_para is None or lines.wrapped):
                open_note.text = join_fragments(open_note.text, line)
                continue
            open_note = None
            # a complete paragraph kept open only by its full line gives way to a heading (short, unfinished)
            heading = _heading_like(line) and not _BULLET.match(line) and not lines.full(k)
            if open_para is not None and not (heading and _finished(open_para.text)):
                open_para.text = join_fragments(open_para.text, line)
                open_para = open_para if goes_on(open_para, k) else None
                continue
            if heading or (_heading_like(line) and not _BULLET.match(line)):
                if not doc.title:
                    doc.title = line
                section[:] = [line]
                continue
            on_page += 1
            block = Block("paragraph", line, tuple(section), item=on_page, page=page_no)
            doc.blocks.append(block)
            open_para = block if goes_on(block, k) else None
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
