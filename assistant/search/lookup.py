"""Direct look-ups: questions that name a paragraph, footnote, deliverable or document symbol."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..documents.units import SYMBOL, Unit
from .keyword import tokenize

# Numbers of any practical size, and impossible ones ("paragraph -1", "paragraph 0"), which are reported as
# unknown rather than left to retrieval (which would cite whatever is closest).
# English, French ("paragraphe 19", "note de bas de page 18") and Spanish ("párrafo 19", "nota 18") names.
_PARA = re.compile(
    r"第\s*(-?\d{1,9})\s*段|(?:\bparagraph(?:e|es|s)?|\bp[áa]rrafos?|\bparas?\.?|¶|§)\s*(-?\d{1,9})\b", re.IGNORECASE
)
_NOTE = re.compile(
    r"(?:脚注|注释|尾注)\s*(?:第\s*)?(-?\d{1,9})|第\s*(-?\d{1,9})\s*(?:个|条)?\s*脚注"
    r"|(?:\bfootnotes?|\bfn\.?|\bnotes?(?: de bas de page)?|\bnotas?(?: al pie)?)\s*(-?\d{1,9})\b",
    re.IGNORECASE,
)
_SESSION = re.compile(r"\b(?:GB|ILC)\.\d{2,3}\b(?!/)")
_DELIVERABLE = re.compile(r"\bD(\d)\.(\d{1,2})\b")
# The paper's draft decision, named rather than numbered (its unit is of kind "decision").
_DECISION = re.compile(r"\bdraft decision\b|决定草案|\bprojet de décision\b|\bproyecto de decisión\b", re.IGNORECASE)
# Words that ask for a named unit's text rather than about it: "What does … say?", "…写的是什么",
# "Que dit …", "¿Qué dice …".
_LOOKUP_WORDS = frozenset(
    "say says said show quote text content contents full read give me 说 讲 写 内容 原文 全文 请 给出 显示 引用"
    " que qu quoi le la les dit dire texte contenu montre cite el lo dice decir texto contenido muestra".split()
)


@dataclass
class Lookup:
    """Units a question names, and names that match nothing (reported, never guessed)."""

    units: list[Unit] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    pure: bool = False  # the question only asks for the named units' text

    @property
    def found(self) -> bool:
        return bool(self.units or self.unknown)


def _numbers(regex: re.Pattern, text: str) -> list[int]:
    return [int(next(g for g in m.groups() if g)) for m in regex.finditer(text)]


# A question about where a paper is cited, rather than about what the paper says.
WHERE_CITED = re.compile(r"\bcit(e|es|ed|ing|ation)|referenc|footnote|引用|提及|出处|脚注", re.IGNORECASE)


def find(
    question: str, units: list[Unit], symbol_units: list[Unit] | None = None, corpus_symbols=frozenset()
) -> Lookup:
    """Resolve the paragraph, footnote, deliverable, draft decision and symbol references in a question.

    Numbers resolve in `units` (one document); symbols in `symbol_units` (default: the same). A symbol
    of a corpus document is a question about that document, not a reference, unless the question asks
    where it is cited."""
    out = Lookup()
    symbol_units = units if symbol_units is None else symbol_units
    paragraphs = {u.paragraph: u for u in units if u.paragraph is not None}
    notes = {u.footnote: u for u in units if u.footnote is not None}
    delivs = {(u.area, u.item): u for u in units if u.kind == "deliverable"}
    rest = question
    for n in _numbers(_PARA, question):
        (out.units.append(paragraphs[n]) if n in paragraphs else out.unknown.append(f"¶{n}"))
    rest = _PARA.sub(" ", rest)
    for n in _numbers(_NOTE, question):
        (out.units.append(notes[n]) if n in notes else out.unknown.append(f"fn {n}"))
    rest = _NOTE.sub(" ", rest)
    for m in _DELIVERABLE.finditer(question):
        key = (int(m[1]), int(m[2]))
        (out.units.append(delivs[key]) if key in delivs else out.unknown.append(f"D{key[0]}.{key[1]}"))
    rest = _DELIVERABLE.sub(" ", rest)
    if _DECISION.search(question):
        out.units.extend(u for u in units if u.kind == "decision")
        rest = _DECISION.sub(" ", rest)
    for sym in dict.fromkeys(SYMBOL.findall(question)):
        if sym in corpus_symbols and not WHERE_CITED.search(question):
            continue
        out.symbols.append(sym)
        naming = [u for u in symbol_units if sym in u.symbols and u.kind in ("footnote", "field")]
        if not naming:
            out.unknown.append(sym)
        out.units.extend(naming)
    rest = SYMBOL.sub(" ", rest)
    for prefix in dict.fromkeys(_SESSION.findall(rest)):  # "GB.329": every paper of that session
        out.symbols.append(prefix)
        naming = [
            u for u in symbol_units if u.kind == "footnote" and any(s.startswith(prefix + "/") for s in u.symbols)
        ]
        (out.units.extend(naming) if naming else out.unknown.append(prefix))
    rest = _SESSION.sub(" ", rest)
    out.units = list({u.id: u for u in out.units}.values())
    out.pure = out.found and all(t in _LOOKUP_WORDS for t in tokenize(rest))
    return out


def ranges(units: list[Unit]) -> str:
    """'¶1–32, fn 1–19' style summary of what exists, for messages about unknown numbers."""
    paras = sorted(u.paragraph for u in units if u.paragraph is not None)
    notes = sorted(u.footnote for u in units if u.footnote is not None)
    parts = []
    if paras:
        parts.append(f"¶{paras[0]}–{paras[-1]}")
    if notes:
        parts.append(f"fn {notes[0]}–{notes[-1]}")
    return ", ".join(parts)
