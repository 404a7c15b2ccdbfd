"""Test documents made here, in each format: PDFs laid out like printed papers (justified text,
paragraphs running across page breaks, footnotes at the foot of the page where they are cited, raised
small footnote numbers, a running header with the symbol, page numbers), DOCX, HTML and Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.documents.parse import SUPERSCRIPTS, parse_text, superscript_number

_SUP = f"[{SUPERSCRIPTS}]+"
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_TOKEN = re.compile(f"{_SUP}|[{_CJK}]|[^\\s{_CJK}{SUPERSCRIPTS}]+\\s*|\\s+")


@dataclass
class Doc:
    """A document as paragraphs (footnote markers inside them) and footnote texts by number."""

    paragraphs: list[str]
    footnotes: dict[int, str] = field(default_factory=dict)
    title: str = ""
    symbol: str = ""
    language: str = "en"


def plan_doc(text: str) -> Doc:
    """The plan as whole paragraphs and headings, from its parsed structure (no page-break artefacts)."""
    parsed = parse_text(text)
    paras: list[str] = []
    notes: dict[int, str] = {}
    section: tuple[str, ...] = ()
    for b in parsed.blocks:
        if b.kind == "footnote":
            notes[b.number] = b.text
            continue
        if b.kind not in ("title", "purpose", "field"):
            for depth, head in enumerate(b.section):
                if depth >= len(section) or section[depth] != head:
                    paras.append(head)
            section = b.section
        if b.kind == "title":
            paras += b.text.split("\n")
        elif b.kind == "purpose":
            paras += [b.section[0], *b.text.split("\n")]
        elif b.kind in ("paragraph", "decision"):
            paras.append(f"{b.number}. {b.text}")
        elif b.kind in ("deliverable", "item"):
            paras.append(f"- {b.text}")
        else:
            paras.append(b.text)
    return Doc(paras, notes, parsed.title, "GB.334/INS/3/1", "zh")


# --- PDF -------------------------------------------------------------------------------------------


def write_pdf(doc: Doc, path: Path, page_size=(595, 842), header: bool = True) -> dict:
    """Lay the document out on pages; returns what the layout did (pages, paragraphs cut by a break)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    cjk = doc.language == "zh"
    font = "STSong-Light" if cjk else "Helvetica"
    if cjk:
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height = page_size
    left, right, top, bottom = 60, width - 60, height - 60, 50
    size, lead, fsize, flead = 10, 14, 8, 11
    c = canvas.Canvas(str(path), pagesize=page_size)
    c.setTitle(doc.title)
    c.setSubject(doc.symbol)
    state = {"page": 1, "y": top, "notes": [], "split": 0}

    def tokens_width(tokens, fs):
        return sum(pdfmetrics.stringWidth(_plain(t), font, fs * 0.6 if _is_sup(t) else fs) for t in tokens)

    def wrap(text, fs):
        lines, cur = [], []
        for tok in _TOKEN.findall(text):
            if cur and tokens_width(cur + [tok.rstrip()], fs) > right - left:
                lines.append(cur)
                cur = [] if tok.isspace() else [tok]
            elif not (tok.isspace() and not cur):
                cur.append(tok)
        if cur:
            lines.append(cur)
        for line in lines:
            line[-1] = line[-1].rstrip()
        return lines

    def draw(tokens, y, fs, justify):
        t = c.beginText(left, y)
        n = sum(len(_plain(x)) for x in tokens)
        spare = (right - left) - tokens_width(tokens, fs)
        t.setCharSpace(spare / n if justify and n else 0)
        for tok in tokens:
            sup = _is_sup(tok)
            t.setFont(font, fs * 0.6 if sup else fs)
            t.setRise(fs * 0.4 if sup else 0)
            t.textOut(_plain(tok))
        c.drawText(t)

    def notes_height(numbers):
        return sum(len(wrap(f"{_sup(n)} {doc.footnotes[n]}", fsize)) * flead + 3 for n in numbers)

    def finish_page():
        if header and doc.symbol:
            c.setFont(font, 9)
            c.drawRightString(right, height - 35, doc.symbol)
        c.setFont(font, 9)
        c.drawCentredString(width / 2, 25, str(state["page"]))
        if state["notes"]:
            y = bottom + notes_height(state["notes"]) - flead + 6
            c.line(left, y + flead, left + 120, y + flead)
            for n in state["notes"]:
                lines = wrap(f"{_sup(n)} {doc.footnotes[n]}", fsize)
                for i, line in enumerate(lines):
                    draw(line, y, fsize, justify=i < len(lines) - 1)
                    y -= flead
                y -= 3
        c.showPage()
        state.update(page=state["page"] + 1, y=top, notes=[])

    placed: set[int] = set()
    for para in doc.paragraphs:
        lines = wrap(para, size)
        for i, line in enumerate(lines):
            new = [n for n in _markers(line) if n in doc.footnotes and n not in placed]
            need = lead + (notes_height(state["notes"] + new) + 12 if state["notes"] or new else 0)
            if state["y"] - need < bottom and state["y"] < top:
                finish_page()
                if i > 0:
                    state["split"] += 1  # this paragraph runs across the page break
            draw(line, state["y"], size, justify=i < len(lines) - 1)
            state["y"] -= lead
            state["notes"] += new
            placed.update(new)
        state["y"] -= 6
    finish_page()
    c.save()
    return {"pages": state["page"] - 1, "split_paragraphs": state["split"]}


def _is_sup(tok: str) -> bool:
    return bool(re.fullmatch(_SUP, tok))


def _plain(tok: str) -> str:
    """Superscript markers are drawn as small raised digits, as printed papers do."""
    return str(superscript_number(tok)) if _is_sup(tok) else tok


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", SUPERSCRIPTS))


def _markers(tokens) -> list[int]:
    return [superscript_number(t) for t in tokens if _is_sup(t)]


# --- DOCX, HTML, Markdown --------------------------------------------------------------------------


def write_docx(doc: Doc, path: Path, page_break_after: int | None = None, auto_numbered: bool = False) -> Path:
    """Paragraphs with superscript-run markers; each footnote as a paragraph after the one citing it
    (how a PDF-to-Word conversion lays them out). `auto_numbered`: typed paragraph numbers become Word
    list numbering instead (`_WordLists`)."""
    import docx

    d = docx.Document()
    d.core_properties.title = doc.title
    d.core_properties.subject = doc.symbol
    d.core_properties.language = doc.language
    lists = _WordLists(d) if auto_numbered else None
    for i, para in enumerate(doc.paragraphs):
        p = d.add_paragraph()
        _docx_runs(p, lists.apply(p, para) if lists else para)
        for n in _markers(_TOKEN.findall(para)):
            if n in doc.footnotes:
                _docx_runs(d.add_paragraph(), f"{_sup(n)} {doc.footnotes[n]}")
        if page_break_after is not None and i == page_break_after:
            from docx.enum.text import WD_BREAK

            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    d.save(str(path))
    return path


class _WordLists:
    """Typed numbers made into Word's automatic numbering, as in a paper numbered in Word: "N. "
    paragraphs in sequence (1, 2, 3… whatever comes between) take the "List Number" style and the
    numbering it carries; a "1. " sentence past the first list starts a second list, restarted at 1
    by a `w:startOverride` on a new numId of the same abstract numbering; "(a) " items go on the list's
    second level and "- " bullets take the "List Bullet" style. Numbered headings ("1. Focus area",
    out of the sequence) keep their typed number."""

    def __init__(self, d) -> None:
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        self.numbering = d.part.numbering_part.element
        levels = [("decimal", "%1."), ("lowerLetter", "(%2)")]
        self.numbering.num_lst[0].addprevious(  # abstract definitions come before the nums
            parse_xml(
                f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
                + "".join(
                    f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
                    "</w:lvl>"
                    for i, (fmt, text) in enumerate(levels)
                )
                + "</w:abstractNum>"
            )
        )
        self.num_id = self.style_num_id = self.numbering.add_num(90).numId
        d.styles["List Number"].element.pPr.numPr.numId.val = self.num_id
        self.next = 1

    def apply(self, p, para: str) -> str:
        """Number or style paragraph `p` for the typed text `para`; the text left to write."""
        if m := re.match(r"(\d{1,3})\. (.*)", para, re.S):
            n, text = int(m[1]), m[2]
            if n == 1 and self.next > 1 and text.rstrip(SUPERSCRIPTS).endswith((".", "。")):
                num = self.numbering.add_num(90)
                num.add_lvlOverride(0).add_startOverride(1)
                self.num_id, self.next = num.numId, 1
            if n == self.next:
                p.style = "List Number"
                if self.num_id != self.style_num_id:  # else the numbering comes from the style alone
                    self._num_pr(p, 0)
                self.next += 1
                return text
        elif m := re.match(r"\([a-z]\) (.*)", para, re.S):
            self._num_pr(p, 1)
            return m[1]
        elif para.startswith("- "):
            p.style = "List Bullet"
            return para[2:]
        return para

    def _num_pr(self, p, ilvl: int) -> None:
        num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = ilvl
        num_pr.get_or_add_numId().val = self.num_id


def _docx_runs(p, text: str) -> None:
    for piece in re.split(f"({_SUP})", text):
        if not piece:
            continue
        if _is_sup(piece):
            p.add_run(str(superscript_number(piece))).font.superscript = True
        else:
            p.add_run(piece)


def write_html(doc: Doc, path: Path) -> Path:
    import html

    def inline(text):
        return re.sub(_SUP, lambda m: f"<sup>{superscript_number(m.group(0))}</sup>", html.escape(text))

    body = []
    for para in doc.paragraphs:
        body.append(f"<li>{inline(para[2:])}</li>" if para.startswith("- ") else f"<p>{inline(para)}</p>")
    notes = "".join(f"<p><sup>{n}</sup> {html.escape(t)}</p>" for n, t in sorted(doc.footnotes.items()))
    path.write_text(
        f'<!doctype html><html lang="{doc.language}"><head><title>{html.escape(doc.title)}</title>'
        f'<meta name="date" content="2019-03-01"><style>p {{margin: 1em}}</style><script>var x = "<p>no</p>";</script>'
        f"</head><body><nav>Home | Menu</nav><main>{''.join(body)}</main><footer>{notes}</footer></body></html>",
        encoding="utf-8",
    )
    return path


def write_markdown(doc: Doc, path: Path) -> Path:
    lines = [f"# {doc.title}", ""]
    for para in doc.paragraphs:
        text = re.sub(_SUP, lambda m: f"[^{superscript_number(m.group(0))}]", para)
        # Markdown source wraps long paragraphs; the reader rejoins them.
        words = text.split(" ")
        lines += [" ".join(words[:8]), " ".join(words[8:])] if len(words) > 12 else [text]
        lines.append("")
    lines += [f"[^{n}]: {t}" for n, t in sorted(doc.footnotes.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_docx_word_footnotes(doc: Doc, path: Path) -> Path:
    """A DOCX whose footnotes are real Word footnotes (footnotes.xml, w:footnoteReference), as Word
    saves them; written part by part since python-docx cannot add footnotes."""
    import html
    import zipfile

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ref_ids: dict[int, int] = {}

    def runs(text: str) -> str:
        out = []
        for piece in re.split(f"({_SUP})", text):
            if _is_sup(piece):
                n = superscript_number(piece)
                ref_ids[n] = n + 1  # Word's ids 0 and 1 are the separators
                out.append(
                    f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="{n + 1}"/></w:r>'
                )
            elif piece:
                out.append(f'<w:r><w:t xml:space="preserve">{html.escape(piece)}</w:t></w:r>')
        return "".join(out)

    body = "".join(f"<w:p>{runs(p)}</w:p>" for p in doc.paragraphs)
    notes = "".join(
        f'<w:footnote w:id="{i}"><w:p><w:r><w:t xml:space="preserve">{html.escape(doc.footnotes[n])}</w:t></w:r></w:p>'
        "</w:footnote>"
        for n, i in ref_ids.items()
    )
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}.document.main+xml"/>'
        f'<Override PartName="/word/footnotes.xml" ContentType="{main}.footnotes+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/_rels/document.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/footnotes" Target="footnotes.xml"/></Relationships>',
        "word/document.xml": f"<w:document {w}><w:body>{body}</w:body></w:document>",
        "word/footnotes.xml": f'<w:footnotes {w}><w:footnote w:type="separator" w:id="0"><w:p/></w:footnote>'
        f'<w:footnote w:type="continuationSeparator" w:id="1"><w:p/></w:footnote>{notes}</w:footnotes>',
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, xml in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + xml)
    return path


# --- language versions ------------------------------------------------------------------------------

_HEADING_WORDS = {"重点领域": "Focus area", "可交付的成果": "deliverables", "决定草案": "Draft decision"}


def _english_heading(head: str) -> str:
    for zh, en in _HEADING_WORDS.items():
        head = head.replace(zh, f" {en} ")
    return re.sub(r"\s+", " ", re.sub(f"[{_CJK}]+", " Part ", head).replace("年", "")).strip()


def _spelled_details(text: str) -> str:
    """The text's details (numbers, years, months, symbols) written the English way."""
    from assistant.documents.versions import _MONTHS, details

    words = []
    for key, n in sorted(details(text).items()):
        kind, _, value = key.partition(":")
        if kind == "month":
            key = _MONTHS[int(value) - 1].title()
        elif kind == "symbol":
            key = value
        words += [key] * n
    return " ".join(words)


def english_version_text(plan_text: str, texts: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> str:
    """The plan's layout with English text in every unit, as an official English version would print it:
    the same paragraph numbers, footnotes and deliverables. `texts` (unit id suffix → text) overrides the
    made-up text of a unit, which otherwise names the unit and carries its details; `drop` leaves units out."""
    from assistant.documents.units import build_units

    parsed = parse_text(plan_text)
    units = build_units(parsed, "X")
    texts = texts or {}
    lines: list[str] = []
    notes: dict[int, str] = {}
    section: tuple[str, ...] = ()

    def english(u) -> str:
        key = u.id.split(":", 1)[1]
        said = texts.get(key, f"English text of the unit {key}, which concerns the plan of action")
        return f"{said}: {_spelled_details(u.plain_text)}." + "".join(_sup(n) for n in u.footnotes)

    for b, u in zip(parsed.blocks, units):
        if u.id.split(":", 1)[1] in drop:
            continue
        if b.kind == "footnote":
            notes[b.number] = english(u)
            continue
        if b.kind not in ("title", "purpose", "field"):
            for depth, head in enumerate(b.section):
                if depth >= len(section) or section[depth] != head:
                    lines.append(_english_heading(head))
            section = b.section
        if b.kind == "title":
            lines += ["Third item on the agenda", english(u)]
        elif b.kind == "purpose":
            lines += ["Purpose of the document", english(u)]
        elif b.kind == "field":
            lines.append(f"Field {u.id.rsplit('field', 1)[1]}: {english(u)}")
        elif b.kind in ("paragraph", "decision"):
            lines.append(f"{b.number}. {english(u)}")
        else:
            lines.append(f"- {english(u)}")
    out = []
    for line in lines:
        out += [line, ""]
    for n, t in sorted(notes.items()):
        out += [f"{_sup(n)} {t}", ""]
    return "\n".join(out)
