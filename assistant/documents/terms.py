"""The term base (`corpus/termbase.tsv`): the official English names of the bodies, units, titles and
programmes the corpus names, seeded from the paper's own bilingual parentheses (体面劳动国别计划(DWCPs))
and curated. Translations are prompted with it and checked against it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TERMBASE = "termbase.tsv"
# A Chinese term followed by its acronym in parentheses, as the paper writes them.
_PAPER_PAIR = re.compile(r"([\u4e00-\u9fff《》]{2,30})\s*[(（]([A-Z][A-Za-z+\-/&0-9]{1,15})[)）]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "’": "'"})


@dataclass(frozen=True)
class Term:
    zh: tuple[str, ...]  # the forms the Chinese text uses
    en: tuple[str, ...]  # official English forms; the first is the one asked for, any one passes
    origin: str  # paper | curated

    @property
    def preferred(self) -> str:
        return self.en[0]


def load_terms(corpus_dir: Path) -> list[Term]:
    """The term base, or an empty one when the corpus has none."""
    path = corpus_dir / TERMBASE
    if not path.exists():
        return []
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("zh\t"):
            continue
        zh, en, origin = (line.split("\t") + ["", ""])[:3]
        split = lambda s: tuple(x.strip() for x in s.split(" / ") if x.strip())  # noqa: E731
        terms.append(Term(split(zh), split(en), origin.strip() or "curated"))
    # Longer Chinese forms first: 主管外地办事机构和伙伴关系的副局长 before 局长.
    return sorted(terms, key=lambda t: -max(len(z) for z in t.zh))


def terms_in(text: str, terms: list[Term]) -> list[Term]:
    """The terms whose Chinese form the text uses, a shorter one only where no longer one covers it."""
    found, covered = [], text
    for t in terms:
        if any(z in covered for z in t.zh):
            found.append(t)
            for z in t.zh:
                covered = covered.replace(z, "□" * len(z))
    return found


def term_used(term: Term, translation: str) -> bool:
    low = translation.translate(_DASHES).lower()
    return any(e.translate(_DASHES).lower() in low for e in term.en)


# Spelling variants a model writes for an official name: US spelling, lower case, a plural.
_VARIANTS = [("Labour", "Labou?r"), ("Programme", "Program(?:me)?"), ("Organization", "Organi[sz]ation")]


def _variant_pattern(name: str) -> re.Pattern:
    pattern = re.escape(name.removesuffix("s") if name.endswith("ks") or name.endswith("mes") else name)
    for word, variant in _VARIANTS:
        pattern = pattern.replace(word, variant)
    return re.compile(rf"\b{pattern}s?\b", re.I)


def enforce_terms(translation: str, used: list[Term]) -> str:
    """The translation with a term base name written in a variant (US spelling, lower case, plural
    'international labor organizations') replaced by its official form; other words are left alone."""
    for term in used:
        if term_used(term, translation):
            continue
        translation = _variant_pattern(term.preferred).sub(term.preferred, translation, count=0)
    return translation


def paper_acronyms(text: str) -> list[tuple[str, str]]:
    """(Chinese words before it, acronym) for every bilingual parenthesis of a Chinese text."""
    return [(m[1], m[2]) for m in _PAPER_PAIR.finditer(text)]


def _specific(form: str) -> bool:
    """A Chinese form, an English name of several words, or an acronym: not a single common word such as
    "Conference" or "constituents", too loose to stand for a term."""
    return bool(_CJK.search(form)) or " " in form or any(c.isupper() for c in form[1:])


def _names_form(form: str, question: str) -> bool:
    """The question names a term by this (specific) English form, as whole words."""
    return _specific(form) and re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", question, re.I) is not None


def term_synonyms(question: str, terms: list[Term], lang: str | None, known=None) -> list[str]:
    """The other forms of every term the question names by a form the searched text does not use
    (`known(form)` False; all when `known` is None), in the searched language (`lang`; None: both): "Turin
    Centre" adds "International Training Centre of the ILO" to an English search and 都灵中心 to a Chinese
    one, so keyword search meets the name the text uses. A name the text uses already adds nothing."""
    out: list[str] = []
    for t in terms:
        named = [e for e in t.en if _names_form(e, question)] + [z for z in t.zh if z in question]
        if not named or (known is not None and all(known(f) for f in named)):
            continue
        forms = {"zh": t.zh, "en": t.en}.get(lang or "", t.zh + t.en)
        out += [f for f in forms if _specific(f) and f.lower() not in question.lower() and f not in out]
    return out
