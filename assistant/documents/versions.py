"""Language versions of a document: the same units (same labels, ¶19 is ¶19 in every language) in another
language, official or machine-translated, stored as data under `corpus/versions/`.

A version file `corpus/versions/<doc id>.<lang>.json` is an official version (aligned from a file staff
supplied) and `<doc id>.<lang>.mt.json` a machine translation; an official version wins over a machine
translation of the same language. Both map unit ids to texts. Alignment is checked, never assumed:
the same labels, and in each unit the same numbers, years, percentages and GB symbols (`details`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from .units import SYMBOL, Unit

VERSIONS = "versions"
OFFICIAL = "official"

_MONTHS = "january february march april may june july august september october november december".split()
_ZH_MONTH = re.compile(r"(\d{1,2})\s*月")
_EN_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b", re.I)
# A number standing alone, or in a group's name ("G20" keeps the 20 of "20 国集团").
_NUMBER = re.compile(r"(?:(?<=\bG)|(?<![A-Za-z0-9_.]))\d+(?:[.,]\d+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMERAL = re.compile(
    r"[零一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]百[零一二三四五六七八九十]*"
)


def _zh_numeral(s: str) -> int | None:
    """十三 → 13, 二十 → 20, 一百零五 → 105 (the numerals up to 999 that papers write in words)."""
    total, digit = 0, None
    for ch in s:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in "十百":
            total += (digit if digit is not None else 1) * (10 if ch == "十" else 100)
            digit = None
        else:
            return None
    return total + (digit or 0)


def details(text: str) -> Counter:
    """The details a faithful version must keep: GB/ILC symbols, months, percentages and other numbers,
    written the same in every language ('6 月' and 'June' are both month:6; '2018 年' and '2018' are 2018)."""
    out: Counter = Counter()
    for sym in SYMBOL.findall(text):
        out[f"symbol:{sym}"] += 1
    rest = SYMBOL.sub(" ", text)
    for m in _ZH_MONTH.finditer(rest):
        out[f"month:{int(m[1])}"] += 1
    rest = _ZH_MONTH.sub(" ", rest)
    for m in _EN_MONTH.finditer(rest):
        out[f"month:{_MONTHS.index(m[1].lower()) + 1}"] += 1
    for m in _ZH_NUMERAL.finditer(rest):
        n = _zh_numeral(m.group(0))
        if n is not None and n >= 10:
            out[str(n)] += 1
    rest = _ZH_NUMERAL.sub(" ", rest)
    for m in _NUMBER.finditer(rest):
        n = m.group(0).replace(",", "")
        if n.isdigit() and int(n) < 10:  # small numbers are often written as words in one language
            continue
        out[n] += 1
    return out


def missing_details(source: str, version: str) -> list[str]:
    """Details of the source that the version lacks (a detail may occur more often in the version)."""
    have = details(version)
    return sorted(k for k, n in details(source).items() if have[k] < 1)


def sentence_pairs(unit: Unit, lang: str) -> list[tuple[str, str]] | None:
    """(original sentence, `lang` version's sentence) in reading order: by construction for a version made
    sentence by sentence, else when both texts split into as many sentences; None when they do not line up."""
    a, b = unit.sentences(), unit.sentences(lang)
    return list(zip(a, b, strict=True)) if b and len(a) == len(b) else None


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


@dataclass
class Version:
    """One document's units in one language."""

    doc: str
    lang: str
    texts: dict[str, str]  # unit id → text
    provenance: str  # "official", or "machine translation by MODEL"
    meta: dict = field(default_factory=dict)  # model, date, per-sentence checks (machine translations)

    @property
    def official(self) -> bool:
        return self.provenance == OFFICIAL

    @cached_property
    def _records(self) -> dict[str, list[dict]]:
        """Unit id → the per-sentence records a machine translation keeps (source, text, checks), in order."""
        out: dict[str, list[dict]] = {}
        for s in self.meta.get("sentences", ()):
            out.setdefault(s.get("unit"), []).append(s)
        return out

    def placed_sentences(self, unit: Unit) -> tuple[str, ...] | None:
        """The unit's translation sentence by sentence, in the places of the original's sentences, when the
        version records it (a machine translation) with one entry per sentence of the unit; else None."""
        records = self._records.get(unit.id, [])
        if not records or len(records) != len(unit.sentences()):
            return None
        return tuple(s["text"] for s in records)

    def is_stale(self, unit: Unit) -> bool:
        """A machine translation made from other text than the unit's now (the original was edited since): its
        sentence records name their sources, and those are not the unit's sentences. An official version, or
        one without such records, cannot tell and is taken as current."""
        if self.official:
            return False
        sources = [s.get("source") for s in self._records.get(unit.id, [])]
        return bool(sources) and sources != unit.sentences()


def stale_units(units: list[Unit], versions: dict[str, Version]) -> dict[str, list[str]]:
    """Language → labels of the units whose machine translation is stale (`python -m assistant translate`
    translates them again, and only them)."""
    out = {lang: [u.label for u in units if u.id in v.texts and v.is_stale(u)] for lang, v in sorted(versions.items())}
    return {lang: labels for lang, labels in out.items() if labels}


def version_path(corpus_dir: Path, doc: str, lang: str, official: bool) -> Path:
    return corpus_dir / VERSIONS / f"{doc}.{lang}{'' if official else '.mt'}.json"


def write_version(corpus_dir: Path, v: Version) -> Path:
    """Write a version file atomically."""
    path = version_path(corpus_dir, v.doc, v.lang, v.official)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"doc": v.doc, "lang": v.lang, "provenance": v.provenance, **v.meta, "texts": v.texts}
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def version_files(corpus_dir: Path, doc: str) -> list[Path]:
    """The files of a document's language versions (`<doc>.<lang>.json`, `<doc>.<lang>.mt.json`)."""
    folder = corpus_dir / VERSIONS
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob(f"{doc}.*.json")):
        parts = path.name[len(doc) + 1 :].split(".")
        if len(parts) == 2 or (len(parts) == 3 and parts[1] == "mt"):
            out.append(path)
    return out


def read_versions(corpus_dir: Path, doc: str) -> dict[str, Version]:
    """A document's versions by language; an official version wins over a machine translation."""
    out: dict[str, Version] = {}
    for path in version_files(corpus_dir, doc):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            from .corpus import CorpusError

            raise CorpusError(f"{path} is not a valid language version ({e})") from None
        meta = {k: v for k, v in data.items() if k not in ("doc", "lang", "provenance", "texts")}
        v = Version(doc, data["lang"], data["texts"], data["provenance"], meta)
        if v.lang not in out or v.official:
            out[v.lang] = v
    return out


def attach(units: list[Unit], versions: dict[str, Version]) -> list[Unit]:
    """Units carrying their text in every version's language (lang, text, provenance). A stale machine
    translation is left out: the reader gets the original, labelled as such, rather than a translation of a
    text the paper no longer says."""
    if not versions:
        return units
    out = []
    for u in units:
        chosen = [(lang, v) for lang, v in sorted(versions.items()) if u.id in v.texts and not v.is_stale(u)]
        extra = tuple((lang, v.texts[u.id], v.provenance) for lang, v in chosen)
        placed = tuple((lang, s) for lang, v in chosen if (s := v.placed_sentences(u)) is not None)
        out.append(replace(u, versions=extra, aligned=placed) if extra else u)
    return out


@dataclass
class Misalignment:
    label: str
    problem: str

    def __str__(self) -> str:
        return f"{self.label}: {self.problem}"


def align(original: list[Unit], version: list[Unit]) -> tuple[dict[str, str], list[Misalignment]]:
    """Pair a version's units with the original's by their place in the printed structure: ¶N, fn N,
    deliverable D1.2, front-matter field 3 (the unit id, whose suffix names it in any language; the labels of
    front-matter fields are in the document's language). Both lists must be built with the same document id.
    Returns (original unit id → version text, problems); any problem means the version must be refused."""
    problems: list[Misalignment] = []
    by_id = {u.id: u for u in version}
    orig_ids = {u.id for u in original}
    if len(original) != len(version):
        problems.append(Misalignment("units", f"the original has {len(original)} units, this version {len(version)}"))
    for u in original:
        if u.id not in by_id:
            problems.append(Misalignment(u.label, "missing from this version"))
    for u in version:
        if u.id not in orig_ids:
            problems.append(Misalignment(u.label, "not in the original"))
    texts = {}
    for u in original:
        v = by_id.get(u.id)
        if v is None:
            continue
        lost, added = missing_details(u.plain_text, v.plain_text), missing_details(v.plain_text, u.plain_text)
        if lost or added:
            said = []
            if lost:
                said.append(f"lacks {', '.join(lost)}")
            if added:
                said.append(f"has {', '.join(added)} that the original lacks")
            problems.append(Misalignment(u.label, "; ".join(said)))
        texts[u.id] = v.plain_text
    return texts, problems


def official_version(path: Path, original: list[Unit], doc: str, lang: str) -> Version:
    """An official language version read from a file staff supplied, aligned with the original's units;
    a CorpusError lists every misaligned unit (nothing is ever silently mis-aligned)."""
    from .corpus import CorpusError, read_file
    from .units import build_units

    units = build_units(read_file(path)[1], doc)
    texts, problems = align(original, units)
    if problems:
        shown = "\n  ".join(map(str, problems[:40]))
        more = f"\n  … and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise CorpusError(
            f"{path} does not align with {doc} ({len(problems)} problem(s)); nothing was added:\n  {shown}{more}"
        )
    return Version(doc, lang, texts, OFFICIAL, {"source": path.name})
