"""Turn parsed layout blocks into citable units: stable ids, labels, footnote links, symbols."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

from .parse import SUPERSCRIPTS, Block, ParsedDocument, superscript_number
from .text import split_sentences

SYMBOL = re.compile(r"\b(?:GB|ILC)\.\d{2,3}(?:/[A-Z][A-Za-z0-9]*|/\d+)+")
_MARKER = re.compile(f"[{SUPERSCRIPTS}]+")


@dataclass(frozen=True)
class Unit:
    """One citable piece of a document, with everything a citation needs."""

    id: str
    doc: str
    kind: str  # title | purpose | field | paragraph | decision | footnote | deliverable | item | text
    label: str  # what answers print: ¶10, fn 18, D1.2, Summary…
    text: str  # the printed text, superscript footnote markers included
    order: int  # reading order within the document
    section: tuple[str, ...] = ()
    paragraph: int | None = None
    footnote: int | None = None
    area: int | None = None
    item: int | None = None
    symbols: tuple[str, ...] = ()  # document symbols named by the unit or by the footnotes it cites
    footnotes: tuple[int, ...] = ()  # footnotes this unit's markers point to
    cited_by: tuple[str, ...] = ()  # ids of the units whose markers point to this footnote
    page: int | None = None  # page where an unnumbered paragraph starts (cited as "p. 3 ¶2")
    # (symbol, id of the corpus document with that symbol or None): filled in when the index is loaded,
    # since it depends on the rest of the corpus
    links: tuple[tuple[str, str | None], ...] = ()
    # The unit in the document's other language versions: (lang, text, provenance), provenance being
    # "official" or "machine translation by MODEL" (documents/versions.py); the original stays authoritative.
    versions: tuple[tuple[str, str, str], ...] = ()
    # (lang, sentences) of a version made sentence by sentence (a machine translation): its i-th entry renders
    # the original's i-th sentence, even where a translation splits into more sentences or fewer.
    aligned: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def version(self, lang: str) -> tuple[str, str] | None:
        """(text, provenance) of this unit in a language version, or None."""
        return next(((text, prov) for code, text, prov in self.versions if code == lang), None)

    def sentences(self, lang: str | None = None) -> list[str]:
        """The original's sentences (lang None), or a version's: in the original's places when the version was
        made sentence by sentence, else its own split; [] when there is no such version."""
        if lang is None:
            return split_sentences(self.plain_text)
        placed = next((list(s) for code, s in self.aligned if code == lang), None)
        if placed is not None:
            return placed
        v = self.version(lang)
        return split_sentences(v[0]) if v else []

    @property
    def plain_text(self) -> str:
        """The text without footnote markers, for embedding, keyword search and quoting."""
        return _MARKER.sub("", self.text)

    def footnotes_after(self, sentence: str) -> tuple[int, ...]:
        """Footnote numbers whose markers stand inside or right after this sentence of the unit."""
        plain = self.plain_text
        start = plain.find(sentence)
        if start < 0:
            return ()
        end = start + len(sentence)
        out, offset = [], 0  # offset: marker characters seen so far, to map marked text onto plain text
        for m in _MARKER.finditer(self.text):
            pos = m.start() - offset
            if start < pos <= end + 1:
                out.append(superscript_number(m.group(0)))
            offset += len(m.group(0))
        return tuple(n for n in out if n in self.footnotes)

    @property
    def embed_text(self) -> str:
        """Section path as context, then the text: headings carry the topic of short units."""
        context = " > ".join(self.section)
        return f"{context}\n{self.plain_text}" if context else self.plain_text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode()).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Unit:
        tuples = ("section", "symbols", "footnotes", "cited_by")
        out = {k: tuple(v) if k in tuples else v for k, v in data.items()}
        out["links"] = tuple(tuple(x) for x in data.get("links", ()))
        out["versions"] = tuple(tuple(x) for x in data.get("versions", ()))
        out["aligned"] = tuple((lang, tuple(s)) for lang, s in data.get("aligned", ()))
        return cls(**out)


@dataclass
class _Draft:
    block: Block
    id: str
    label: str
    footnotes: tuple[int, ...] = ()
    cited_by: list[str] = field(default_factory=list)


def find_symbols(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(SYMBOL.findall(text)))


def footnote_markers(text: str) -> tuple[int, ...]:
    return tuple(superscript_number(m) for m in _MARKER.findall(text))


def _id_and_label(doc_id: str, block: Block, counters: dict[str, int]) -> tuple[str, str]:
    kind = block.kind
    if kind == "paragraph" and block.number is None:  # no printed number: page and order on the page
        return f"{doc_id}:pg{block.page}.{block.item}", f"p. {block.page} ¶{block.item}"
    if kind in ("paragraph", "decision"):
        return f"{doc_id}:p{block.number}", f"¶{block.number}"
    if kind == "footnote":
        return f"{doc_id}:fn{block.number}", f"fn {block.number}"
    if kind == "deliverable":
        return f"{doc_id}:d{block.area or 0}.{block.item}", f"D{block.area or 0}.{block.item}"
    counters[kind] = counters.get(kind, 0) + 1
    n = counters[kind]
    if kind == "field":
        return f"{doc_id}:field{n}", f"Summary: {block.key}"
    if kind in ("title", "purpose"):
        return f"{doc_id}:{kind}", kind.capitalize() if kind == "title" else "Summary"
    return f"{doc_id}:{kind}{n}", f"{kind} {n}"


def build_units(doc: ParsedDocument, doc_id: str) -> list[Unit]:
    """Units in reading order, footnotes linked both ways with the units that cite them."""
    counters: dict[str, int] = {}
    drafts = []
    for block in doc.blocks:
        uid, label = _id_and_label(doc_id, block, counters)
        markers = () if block.kind == "footnote" else footnote_markers(block.text)
        drafts.append(_Draft(block, uid, label, markers))
    notes = {d.block.number: d for d in drafts if d.block.kind == "footnote"}
    for d in drafts:
        for n in d.footnotes:
            if n in notes:
                notes[n].cited_by.append(d.id)

    by_id = {d.id: d for d in drafts}
    units = []
    for order, d in enumerate(drafts):
        b = d.block
        symbols = list(find_symbols(b.text))
        for n in d.footnotes:
            if n in notes:
                symbols.extend(find_symbols(notes[n].block.text))
        section = b.section
        if b.kind == "footnote" and d.cited_by:
            section = by_id[d.cited_by[0]].block.section  # where the citing paragraph stands
        units.append(
            Unit(
                id=d.id,
                doc=doc_id,
                kind=b.kind,
                label=d.label,
                text=b.text,
                order=order,
                section=section,
                paragraph=b.number if b.kind in ("paragraph", "decision") else None,
                footnote=b.number if b.kind == "footnote" else None,
                area=b.area,
                item=b.item,
                page=b.page,
                symbols=tuple(dict.fromkeys(symbols)),
                footnotes=tuple(n for n in d.footnotes if n in notes),
                cited_by=tuple(d.cited_by),
            )
        )
    return units


def link_symbols(units: list[Unit], doc_of_symbol: dict[str, str]) -> list[Unit]:
    """Units with `links`: each symbol they name, with the corpus document that has it (or None)."""
    from dataclasses import replace

    return [replace(u, links=tuple((s, doc_of_symbol.get(s)) for s in u.symbols)) if u.symbols else u for u in units]


_NUMBERED_LINE = re.compile(r"^\s*(\d{1,3})\.\s+\S")
_NOTE_LINE = re.compile(f"^\\s*([{SUPERSCRIPTS}]+)\\s*\\S")


def check_units(units: list[Unit], text: str = "") -> list[str]:
    """What looks wrong in a document's units, each warning naming the units (or numbers) concerned:
    orphans (lines that joined no paragraph, footnote or list), gaps in the paragraph and footnote
    numbering (with `text`, the document's lines: numbered lines past the last one read), footnotes
    that no marker cites, markers that point to no footnote."""
    out: list[str] = []
    for u in units:
        if u.kind == "text":
            out.append(f"{u.label}: an orphan line, in no paragraph, footnote or list: {first_words(u.plain_text)}")
        elif u.kind == "item":
            out.append(f"{u.label}: a bullet outside a list of deliverables (an orphan?): {first_words(u.plain_text)}")
    for kind, label, numbers, pattern, digits in (
        ("paragraph", "¶", [u.paragraph for u in units if u.paragraph is not None], _NUMBERED_LINE, int),
        ("footnote", "fn ", [u.footnote for u in units if u.footnote is not None], _NOTE_LINE, superscript_number),
    ):
        if not numbers:
            continue
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            out.append(f"{kind} numbering has gaps: no {', '.join(label + str(n) for n in missing)}")
        later = sorted({n for n in (_line_number(x, pattern, digits) for x in text.splitlines()) if n > max(numbers)})
        if later:
            out.append(
                f"{kind} numbering stops at {label}{max(numbers)}, but the text has lines numbered "
                f"{', '.join(map(str, later[:8]))}{'…' if len(later) > 8 else ''}, not read as {kind}s: "
                f"is {label}{max(numbers) + 1} missing or mistyped?"
            )
    for u in units:
        if u.kind == "footnote" and not u.cited_by:
            out.append(f"{u.label}: no marker in the text cites this footnote")
        dangling = [n for n in footnote_markers(u.text) if n not in u.footnotes] if u.kind != "footnote" else []
        if dangling:
            out.append(
                f"{u.label}: "
                + (
                    f"markers {', '.join(map(str, dangling))} point"
                    if len(dangling) > 1
                    else f"marker {dangling[0]} points"
                )
                + " to no footnote"
            )
    return out


def _line_number(line: str, pattern: re.Pattern, digits) -> int:
    m = pattern.match(line)
    return digits(m[1]) if m else 0


def first_words(text: str, width: int = 60) -> str:
    """The start of a text, about `width` columns (a Chinese character takes two), on one line."""
    text = " ".join(text.split())
    out, used = "", 0
    for ch in text:
        used += 2 if "\u2e80" <= ch <= "\uffef" else 1
        if used > width:
            return out.rstrip() + "…"
        out += ch
    return out
