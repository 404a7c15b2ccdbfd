"""File → text lines: PDF, DOCX, HTML, Markdown and plain text in the layout `parse.py` reads.

Every format becomes one line per paragraph, heading, bullet or footnote, footnote markers as Unicode
superscripts (`¹`), footnotes as lines opening with their marker, and pages separated by a form feed
(`\\f`) where the format has pages (PDF; DOCX page breaks; form feeds in text). Metadata found in the
file (title, language, date, a document symbol) comes back beside the text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .parse import SUPERSCRIPTS, is_cjk, join_fragments
from .units import SYMBOL

SUFFIXES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
}
_TO_SUP = str.maketrans("0123456789", SUPERSCRIPTS)
_BLOCK_START = re.compile(f"^(\\d{{1,9}}\\.\\s|[IVX]{{1,5}}\\.\\s|[-•·▪●◦*]\\s|[{SUPERSCRIPTS}])")
_NO_BREAK = set("、，。；：！？）》」』”’")  # punctuation that does not start a line
_PAGE_NUMBER = re.compile(r"^[-–— ]*\d{1,4}[-–— ]*$")


class FormatError(ValueError):
    """The file cannot be read as a document; the message says why."""


@dataclass
class Converted:
    text: str  # lines in parse.py's layout, pages separated by "\f"
    meta: dict[str, str] = field(default_factory=dict)  # title, language, date, symbol when the file says


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def convert(path: Path) -> Converted:
    """The file's text in parse.py's layout, with the metadata the file carries."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise FormatError(
            f"unsupported file type '{path.suffix or path.name}' (supported: {', '.join(sorted(set(SUFFIXES)))})"
        )
    if not path.is_file():
        raise FormatError(f"{path} does not exist")
    if path.stat().st_size == 0:
        raise FormatError("the file is empty")
    try:
        out = {"pdf": _pdf, "docx": _docx, "html": _html, "md": _markdown, "txt": _txt}[kind](path)
    except FormatError:
        raise
    except Exception as e:  # a file broken in a way its reader did not foresee: still a clear error
        raise FormatError(f"could not read this {kind.upper()} file ({type(e).__name__}: {e})") from e
    if not out.text.replace("\f", "").strip():
        raise FormatError("no text could be extracted" + (" (a scanned PDF?)" if kind == "pdf" else ""))
    if "symbol" not in out.meta and (sym := _symbol_in_header(out.text)):
        out.meta["symbol"] = sym
    return out


def _symbol_in_header(text: str) -> str | None:
    """A symbol standing alone on a line near the top (the way papers print their own symbol)."""
    lines = [x.strip() for x in text.replace("\f", "\n").splitlines() if x.strip()][:8]
    return next((x for x in lines if SYMBOL.fullmatch(x)), None)


def _txt(path: Path) -> Converted:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text") from None
    return Converted(text.replace("\r\n", "\n"))


# --- PDF -------------------------------------------------------------------------------------------


@dataclass
class _Line:
    chars: list
    top: float
    bottom: float

    @property
    def size(self) -> float:
        return max(c["size"] for c in self.chars)

    @property
    def x0(self) -> float:
        return min(c["x0"] for c in self.chars)

    @property
    def x1(self) -> float:
        return max(c["x1"] for c in self.chars)

    @cached_property  # asked for often, once the line is complete
    def text(self) -> str:
        out, prev = [], None
        size = Counter(round(c["size"]) for c in self.chars).most_common(1)[0][0]
        for c in sorted(self.chars, key=lambda c: c["x0"]):
            t = c["text"]
            # Digits set smaller than the line's text are footnote markers, whatever their position.
            if t.isdigit() and c["size"] < 0.8 * size:
                t = t.translate(_TO_SUP)
            elif prev is not None and c["x0"] - prev["x1"] > 0.25 * size and out and out[-1] != " " and t != " ":
                out.append(" ")  # a gap the PDF drew without a space character
            out.append(t)
            prev = c
        return "".join(out).strip()


def _lines(chars: list) -> list[_Line]:
    """Characters grouped into lines by vertical overlap (a raised marker overlaps its line)."""
    lines: list[_Line] = []
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        h = c["bottom"] - c["top"]
        for line in reversed(lines[-3:]):
            overlap = min(line.bottom, c["bottom"]) - max(line.top, c["top"])
            if overlap >= 0.3 * min(h, line.bottom - line.top):
                line.chars.append(c)
                line.top, line.bottom = min(line.top, c["top"]), max(line.bottom, c["bottom"])
                break
        else:
            lines.append(_Line([c], c["top"], c["bottom"]))
    return [x for x in lines if x.text]


def _fills(line: _Line, nxt: _Line, right: float) -> bool:
    """The line reaches the right margin: close to it, or the next line's first word would not have
    fitted in what is left (a long word or symbol, `GB.334/PFA/INF/2)`, leaves a wide gap)."""
    if line.x1 >= right - 2 * line.size:
        return True
    chars = sorted(nxt.chars, key=lambda c: c["x0"])
    end = chars[0]["x1"]
    for c in chars[1:] if not is_cjk(chars[0]["text"]) else ():
        if (
            c["text"].isspace()
            or c["x0"] - end > 0.25 * c["size"]
            or (is_cjk(c["text"]) and c["text"] not in _NO_BREAK)
        ):
            break
        end = c["x1"]  # a word, through the punctuation that may not start a line ("4、8、10、13")
    return line.x1 + 0.3 * line.size + (end - chars[0]["x0"]) > right


def _pdf(path: Path) -> Converted:
    """Lines rejoined into paragraphs by the layout: a line that reaches the right margin continues on
    the next line, and a paragraph whose last line fills the page continues on the next page."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            meta = dict(pdf.metadata or {})
            pages = [_lines(p.chars) for p in pdf.pages]
    except Exception as e:  # noqa: BLE001 - pdfminer raises many exception types on damaged files
        raise FormatError(f"not a readable PDF ({type(e).__name__}: {e})") from None

    # Running headers and footers: the first or last line of most pages, the same text; page numbers.
    repeated = Counter(t for lines in pages for t in {x.text for x in lines[:1] + lines[-1:]})
    running = {t for t, n in repeated.items() if len(pages) >= 2 and n > len(pages) / 2}
    symbol = next((t for t in running if SYMBOL.fullmatch(t)), None)

    blocks: list[tuple[int, str]] = []  # (page index, paragraph text)
    open_at: int | None = None  # index in blocks of a paragraph whose last line filled the page
    for pno, lines in enumerate(pages):
        lines = [x for x in lines if x.text not in running and not _PAGE_NUMBER.match(x.text)]
        if not lines:
            continue
        body = Counter(round(x.size) for x in lines for _ in x.chars).most_common(1)[0][0]
        right = max(x.x1 for x in lines if round(x.size) == body)
        prev: _Line | None = None
        cont = -1  # the block the previous line went into
        for line in lines:
            text = line.text
            is_body = round(line.size) == body
            starts = bool(_BLOCK_START.match(text))
            if prev is None and open_at is not None and is_body and not starts:
                cont = open_at
            elif not (
                prev is not None
                and not starts
                and round(prev.size) == round(line.size)
                and (line.top - prev.bottom < 0.8 * line.size and _fills(prev, line, right))
            ):
                blocks.append((pno, ""))
                cont = len(blocks) - 1
            blocks[cont] = (blocks[cont][0], join_fragments(blocks[cont][1], text))
            if is_body:  # a body line that fills the column: its paragraph may go on over the page
                open_at = cont if line.x1 >= right - line.size else None
            prev = line
    out = ["" for _ in pages]
    for pno, text in blocks:
        out[pno] += text + "\n"

    def prop(*keys: str) -> str:  # document properties may come as undecoded bytes
        v = next((meta[k] for k in keys if meta.get(k)), "")
        return (v.decode("utf-8", "ignore") if isinstance(v, bytes) else str(v)).strip()

    info = {
        "title": prop("Title"),
        "language": prop("Language", "Lang"),
        "date": _pdf_date(prop("CreationDate")),
        "symbol": symbol or _symbol_from(prop("Subject")) or "",
    }
    return Converted("\f".join(out), {k: v for k, v in info.items() if v})


def _pdf_date(raw: str) -> str:
    m = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", raw)
    return "-".join(g for g in m.groups() if g) if m else ""


def _symbol_from(text: str) -> str | None:
    m = SYMBOL.search(text)
    return m.group(0) if m else None


# --- DOCX ------------------------------------------------------------------------------------------


def _docx(path: Path) -> Converted:
    """Paragraphs in body order; superscript digits as markers; page breaks as form feeds; Word
    footnotes (footnotes.xml) as marker lines after the paragraph that cites them; Word's automatic
    list numbers written out ("12. ", "(a) ") and its bullets as "- "."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.ns import qn

    try:
        d = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as e:
        raise FormatError(f"not a valid DOCX file ({e})") from None
    notes = _docx_footnotes(d)
    numbering = _DocxNumbering(d)
    numbered: dict[str, int] = {}
    lines: list[str] = []
    for p in d.paragraphs:
        text, cited = [], []
        for r in p._p.iter(qn("w:r")):
            sup = r.find(f"{qn('w:rPr')}/{qn('w:vertAlign')}")
            is_sup = sup is not None and sup.get(qn("w:val")) == "superscript"
            for child in r:
                tag = child.tag
                if tag == qn("w:t"):
                    t = child.text or ""
                    text.append(t.translate(_TO_SUP) if is_sup and t.strip().isdigit() else t)
                elif tag == qn("w:tab"):
                    text.append(" ")
                elif tag == qn("w:br") and child.get(qn("w:type")) == "page":
                    text.append("\f")
                elif tag == qn("w:footnoteReference"):
                    fid = child.get(qn("w:id"))
                    n = numbered.setdefault(fid, len(numbered) + 1)
                    text.append(str(n).translate(_TO_SUP))
                    cited.append((n, notes.get(fid, "")))
        line = "".join(text)
        label = numbering.label(p)  # for every paragraph: empty numbered ones count in Word too
        if label is None and p.style is not None and p.style.name.lower().startswith("list"):
            label = "-"
        # A number also typed in the text (a paper converted from PDF) is not written twice.
        if label and line.strip() and not re.match(re.escape(label) + r"(\s|$)", line.strip()):
            line = f"{label} {line.strip()}"
        lines.append(line)
        lines += [f"{str(n).translate(_TO_SUP)} {t}" for n, t in cited]
    props = d.core_properties
    info = {
        "title": (props.title or "").strip(),
        "language": (props.language or "").strip(),
        "date": props.created.strftime("%Y-%m-%d") if props.created else "",
        "symbol": _symbol_from(props.subject or "") or _symbol_from(props.keywords or "") or "",
    }
    return Converted("\n".join(lines), {k: v for k, v in info.items() if v})


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"  # WordprocessingML namespace


class _DocxNumbering:
    """Word's automatic list numbers (numbering.xml), rendered as Word displays them.

    A paragraph is numbered by its own `w:numPr` or its style's (numId 0 turns numbering off). The
    numIds that share an abstract numbering share its counters, so a list continues across them
    unless a `w:startOverride` restarts it; a level starts again when a shallower level counts on.
    `label` must be called on every paragraph, in document order.
    """

    def __init__(self, document) -> None:
        self.abstract: dict[str, str | None] = {}  # numId -> abstractNumId
        self.levels: dict[tuple[str | None, int], object] = {}  # (abstractNumId, ilvl) -> w:lvl
        self.overrides: dict[tuple[str, int], object] = {}  # (numId, ilvl) -> w:lvlOverride
        self.counts: dict[str | None, dict[int, int]] = {}  # abstractNumId -> ilvl -> current number
        self.restarted: set[tuple[str, int]] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # no numbering.xml (python-docx cannot create one)
            return
        for a in root.iterchildren(f"{_W}abstractNum"):
            for lvl in a.iterchildren(f"{_W}lvl"):
                self.levels[(a.get(f"{_W}abstractNumId"), int(lvl.get(f"{_W}ilvl", 0)))] = lvl
        for num in root.iterchildren(f"{_W}num"):
            num_id = num.get(f"{_W}numId")
            self.abstract[num_id] = _val(num, "abstractNumId")
            for o in num.iterchildren(f"{_W}lvlOverride"):
                self.overrides[(num_id, int(o.get(f"{_W}ilvl", 0)))] = o

    def label(self, p) -> str | None:
        """The number Word shows before paragraph `p` ("12.", "(a)"), "-" for a bullet, "" for a
        paragraph whose numbering shows nothing, None for one not in a list."""
        num_id, ilvl = _num_pr(p)
        if num_id == "0":
            return ""
        lvl = self._level(num_id, ilvl) if num_id in self.abstract else None
        if lvl is None:
            return None
        counts = self.counts.setdefault(self.abstract[num_id], {})
        restart = _val(self.overrides.get((num_id, ilvl)), "startOverride")
        if restart is not None and (num_id, ilvl) not in self.restarted:
            self.restarted.add((num_id, ilvl))  # the override restarts the list once, where it begins
            counts[ilvl] = int(restart)
        else:
            counts[ilvl] = counts[ilvl] + 1 if ilvl in counts else self._start(num_id, ilvl)
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        fmt = _val(lvl, "numFmt") or "decimal"
        if fmt in ("bullet", "none"):
            return "-" if fmt == "bullet" else ""
        if ilvl == 0 and fmt == "decimal":
            return f"{counts[0]}."  # whatever the level's text, so that parse.py reads paragraph N

        def number(m: re.Match) -> str:
            k = int(m[1]) - 1
            return _list_number(counts.get(k, self._start(num_id, k)), _val(self._level(num_id, k), "numFmt"))

        return re.sub(r"%([1-9])", number, _val(lvl, "lvlText") or "").strip()

    def _level(self, num_id: str, ilvl: int):
        override = self.overrides.get((num_id, ilvl))
        lvl = override.find(f"{_W}lvl") if override is not None else None
        return lvl if lvl is not None else self.levels.get((self.abstract[num_id], ilvl))

    def _start(self, num_id: str, ilvl: int) -> int:
        lvl = self._level(num_id, ilvl)
        return int(_val(lvl, "start") or 0) if lvl is not None else 1


def _val(parent, tag: str) -> str | None:
    """The `w:val` of the parent's child `w:<tag>`."""
    el = parent.find(f"{_W}{tag}") if parent is not None else None
    return el.get(f"{_W}val") if el is not None else None


def _num_pr(p) -> tuple[str | None, int]:
    """The paragraph's numId and level: from its own `w:numPr`, else from its style or the styles that
    style is based on, each property from the nearest that sets it."""
    num_id = ilvl = None
    sources, style = [p._p.pPr], p.style
    for _ in range(20):  # a broken file may base styles on each other in a loop
        if style is None:
            break
        sources.append(style.element.pPr)
        style = style.base_style
    for ppr in sources:
        num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
        num_id = num_id or _val(num_pr, "numId")
        ilvl = ilvl or _val(num_pr, "ilvl")
    return num_id, int(ilvl or 0)


_ROMAN_DIGITS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L")]
_ROMAN_DIGITS += [(40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _list_number(n: int, fmt: str | None) -> str:
    """`n` in a Word number format; formats not written out here fall back to decimal."""
    if fmt in ("lowerLetter", "upperLetter") and n > 0:
        s = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)  # after z Word goes on aa, bb…
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman") and 0 < n < 4000:
        s = ""
        for value, digits in _ROMAN_DIGITS:
            q, n = divmod(n, value)
            s += digits * q
        return s.lower() if fmt == "lowerRoman" else s
    return str(n)


def _docx_footnotes(d) -> dict[str, str]:
    from docx.oxml.ns import qn

    for rel in d.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            from lxml import etree

            root = etree.fromstring(rel.target_part.blob)
            return {
                fn.get(qn("w:id")): "".join(t.text or "" for t in fn.iter(qn("w:t"))).strip()
                for fn in root.iter(qn("w:footnote"))
            }
    return {}


# --- HTML and Markdown -----------------------------------------------------------------------------


def _html(path: Path) -> Converted:
    from html.parser import HTMLParser

    blocks = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section", "article"}
    blocks |= {"header", "footer", "dt", "dd", "td", "th", "pre", "table", "ul", "ol", "body"}

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.lines: list[str] = [""]
            self.meta: dict[str, str] = {}
            self.skip = 0
            self.sup = 0
            self.in_title = False
            self.title = ""

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag in ("script", "style", "nav"):
                self.skip += 1
            elif tag == "title":
                self.in_title = True
            elif tag == "html" and a.get("lang"):
                self.meta["language"] = a["lang"].split("-")[0]
            elif tag == "meta" and (a.get("name") or "").lower() in ("date", "dc.date", "dcterms.date"):
                self.meta["date"] = a.get("content") or ""
            elif tag == "meta" and (a.get("name") or "").lower() in ("symbol", "dc.identifier"):
                self.meta["symbol"] = a.get("content") or ""
            elif tag == "sup":
                self.sup += 1
            elif tag == "br":
                self.lines.append("")
            elif tag in blocks:
                self.lines.append("- " if tag == "li" else "")

        def handle_endtag(self, tag):
            if tag in ("script", "style", "nav"):
                self.skip = max(0, self.skip - 1)
            elif tag == "title":
                self.in_title = False
            elif tag == "sup":
                self.sup = max(0, self.sup - 1)
            elif tag in blocks:
                self.lines.append("")

        def handle_data(self, data):
            if self.in_title:
                self.title += data
            elif not self.skip:
                text = data.strip().translate(_TO_SUP) if self.sup and data.strip().isdigit() else data
                self.lines[-1] += re.sub(r"\s+", " ", text)

    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 HTML") from None
    r = Reader()
    r.feed(raw)
    lines = [x.strip() for x in r.lines if x.strip() not in ("", "-")]
    if r.title.strip():
        r.meta["title"] = r.title.strip()
    return Converted("\n".join(lines), {k: v.strip() for k, v in r.meta.items() if v.strip()})


_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_MD_NOTE_DEF = re.compile(r"^\[\^(\d{1,3})\]:\s*(.*)$")
_MD_NOTE_REF = re.compile(r"\[\^(\d{1,3})\]")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")


def _markdown(path: Path) -> Converted:
    """Headings lose their #, links their targets; `[^3]` footnotes become markers and marker lines;
    the lines of one paragraph (no blank line between them) are joined."""
    raw = _txt(path).text
    meta: dict[str, str] = {}
    if raw.startswith("---\n") and "\n---\n" in raw[4:]:  # YAML-style front matter: key: value lines
        head, raw = raw[4:].split("\n---\n", 1)
        for line in head.splitlines():
            k, _, v = line.partition(":")
            if k.strip().lower() in ("title", "language", "lang", "date", "symbol") and v.strip():
                meta[{"lang": "language"}.get(k.strip().lower(), k.strip().lower())] = v.strip().strip("\"'")
    out: list[str] = []
    joinable = False  # the last output line is paragraph text that the next line may continue
    for line in raw.splitlines():
        s = line.strip()
        if not s:
            joinable = False
            continue
        if m := _MD_HEADING.match(s):
            meta.setdefault("title", m[1]) if s.startswith("# ") else None
            out.append(_md_inline(m[1]))
            joinable = False
            continue
        if m := _MD_NOTE_DEF.match(s):
            out.append(f"{m[1].translate(_TO_SUP)} {_md_inline(m[2])}")
            joinable = False
            continue
        text = _md_inline(re.sub(r"^[*+]\s+", "- ", s))
        if joinable and not _BLOCK_START.match(text):
            out[-1] = join_fragments(out[-1], text)
        else:
            out.append(text)
        joinable = True
    return Converted("\n".join(out), meta)


def _md_inline(text: str) -> str:
    text = _MD_NOTE_REF.sub(lambda m: m[1].translate(_TO_SUP), text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub("", text).strip()
