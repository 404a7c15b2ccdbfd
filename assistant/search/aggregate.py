"""Questions about the paper as a whole, answered from its parsed structure rather than by similarity:
its focus areas, its 2019 deliverables (per area, counts, fewest/most), and the Governing Body papers
its footnotes cite most often. Each answer quotes and cites the units it counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..documents.parse import FOCUS_AREA
from ..documents.text import split_sentences
from ..documents.units import Unit
from .answer_types import asked_type

_LISTING = re.compile(r"how many|list|all|which|what are|number of|哪些|几个|几项|多少|列出|全部|所有|一共|总共", re.I)
# "Which deliverable concerns X?" asks about content; only counting or listing them all is structural.
_COUNT_OR_ALL = re.compile(r"how many|number of|\blist|\ball\b|in total|几项|几个|多少|列出|全部|所有|一共|总共", re.I)
_DELIVERABLES = re.compile(r"deliverables?|可交付", re.I)
# The deliverables are what is asked for ("What are the deliverables of area 2?", "有哪些可交付成果"), not
# something inside one ("Under the area 4 deliverable, which UN institution…?", "…与哪个联合国机构合作？").
_ASKS_DELIVERABLES = re.compile(
    r"\b(?:what|which)\s+(?:(?:are|were|is)\s+)?(?:the\s+)?(?:\d{4}\s+)?(?:deliverables?|items|outputs)\b"
    r"|(?:哪些|哪几项|哪几个|什么)\s*(?:\d{4}\s*年\s*的?)?\s*(?:可交付|成果)|可交付成果\s*(?:有|是|包括)\s*(?:哪些|什么)",
    re.I,
)
_FEWEST = re.compile(r"fewest|\bleast (?:deliverables|items)|最少", re.I)
_MOST = re.compile(r"\bmost (?:deliverables|items)|最多", re.I)
_MOST_CITED = re.compile(r"most (often|frequently|cited)|cited most|引用(得)?最多|最常(被)?引用|最频繁", re.I)
_PAPER = re.compile(r"paper|document|symbol|文件", re.I)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_AREA_NUMBER = re.compile(
    r"(first|second|third|fourth) (?:focus )?area|(?:focus )?area (\d)|第([一二三四])个?重点领域|重点领域\s*(\d)", re.I
)


_NOT_STRUCTURAL = ("status", "amount", "percentage", "day", "date", "place", "person")


@dataclass
class Aggregate:
    lead: str
    quoted: list[tuple[Unit, list[str]]] = field(default_factory=list)


def _area_number(question: str) -> int | None:
    m = _AREA_NUMBER.search(question)
    if not m:
        return None
    value = next(g for g in m.groups() if g)
    return int(value) if value.isdigit() else _ORDINALS[value.lower()]


def _first_sentence(unit: Unit) -> list[str]:
    return split_sentences(unit.plain_text)[:1]


def focus_areas(question: str, units: list[Unit], lang: str) -> Aggregate | None:
    if not (FOCUS_AREA.search(question) or re.search(r"key areas|关键领域", question, re.I)):
        return None
    # "Under focus area 1, which principle…?" asks about one area's content, not for the areas.
    if not _LISTING.search(question) or _DELIVERABLES.search(question) or _area_number(question) is not None:
        return None
    # The paragraph that introduces the focus areas stands right before the first of their headings.
    first = next((i for i, u in enumerate(units) if any(FOCUS_AREA.search(s) for s in u.section)), None)
    intro = next((u for u in reversed(units[:first]) if u.kind == "paragraph"), None) if first else None
    if intro is None:
        return None
    areas = sorted({s for u in units for s in u.section if FOCUS_AREA.search(s)})
    lead = f"行动计划有 {len(areas)} 个重点领域：" if lang == "zh" else f"The plan has {len(areas)} focus areas:"
    return Aggregate(lead, [(intro, split_sentences(intro.plain_text))])


def deliverables(question: str, units: list[Unit], lang: str) -> Aggregate | None:
    area = _area_number(question)
    asks_all = _COUNT_OR_ALL.search(question) or _FEWEST.search(question) or _MOST.search(question)
    if not (
        _DELIVERABLES.search(question) and (asks_all or (area is not None and _ASKS_DELIVERABLES.search(question)))
    ):
        return None
    by_area: dict[int, list[Unit]] = {}
    for u in units:
        if u.kind == "deliverable":
            by_area.setdefault(u.area or 0, []).append(u)
    if not by_area:
        return None
    counts = ", ".join(f"{a}: {len(us)}" for a, us in sorted(by_area.items()))
    if area in by_area:
        areas = [area]
    elif area is None and (_FEWEST.search(question) or _MOST.search(question)):
        extreme = (min if _FEWEST.search(question) else max)(len(us) for us in by_area.values())
        areas = [a for a in sorted(by_area) if len(by_area[a]) == extreme]  # ties are all named
    else:
        areas = []
    chosen = {a: by_area[a] for a in areas} or by_area
    total = sum(len(us) for us in chosen.values())
    named = ", ".join(map(str, areas))
    if lang == "zh":
        where = f"重点领域 {named} 有" if areas else "全文共有"
        each = "（每个领域）" if len(areas) > 1 else ""
        lead = f"{where} {total // max(1, len(areas))} 项{each} 2019 年可交付成果（各重点领域：{counts}）："
    else:
        where = (
            f"Focus area{'s' if len(areas) > 1 else ''} {named} list{'' if len(areas) > 1 else 's'}"
            if areas
            else "The plan lists"
        )
        each = " each" if len(areas) > 1 else ""
        n = total // max(1, len(areas))
        lead = f"{where} {n} deliverable{'s' if n != 1 else ''}{each} for 2019 (per focus area: {counts}):"
    return Aggregate(lead, [(u, _first_sentence(u)) for us in chosen.values() for u in us])


def most_cited(question: str, units: list[Unit], lang: str) -> Aggregate | None:
    if not (_MOST_CITED.search(question) and _PAPER.search(question)):
        return None
    notes = [u for u in units if u.kind == "footnote"]
    counts = Counter(s for u in notes for s in u.symbols)
    if not counts:
        return None
    symbol, n = counts.most_common(1)[0]
    citing = [u for u in notes if symbol in u.symbols]
    if lang == "zh":
        lead = f"脚注中引用最多的是 {symbol}，共 {n} 次："
    else:
        lead = f"The paper its footnotes cite most often is {symbol}, in {n} footnotes:"
    return Aggregate(lead, [(u, [u.plain_text]) for u in citing])


# What a count question counts: "how many [of the] [2019] X", "多少个 X", "几项 X".
_COUNTED = re.compile(
    r"\bhow many\s+(?:of\s+the\s+)?(?:\d{4}\s+)?([a-z-]+)|(?:多少|几)(?:个|项|份|条)?([\u4e00-\u9fff]{1,4})", re.I
)
_STRUCTURAL_NOUN = re.compile(
    r"deliverables?|focus|areas?|items?|footnotes?|paragraphs?|papers?|documents?|outputs?"
    r"|可交付|成果|重点|领域|脚注|段|文件|项",
    re.I,
)


def _counted(question: str) -> str | None:
    m = _COUNTED.search(question)
    return (m[1] or m[2]) if m else None


def answer(question: str, units: list[Unit], lang: str, asked: str | None = None) -> Aggregate | None:
    """A structural answer when the question asks about the paper as a whole, else None. The structure
    tells what the paper lists, not what happened to it: "how many deliverables had been completed" is
    not "how many are listed", and gets no structural answer. `asked`: a follow-up's own words, when
    `question` is its standalone form (the earlier question first): the earlier question gives the subject
    ("focus area 3"), the follow-up what is asked, so "Who coordinates the plan?" after a count of
    deliverables asks for a person, whatever the earlier question counted."""
    if any(asked_type(q) in _NOT_STRUCTURAL for q in {question, asked or question}):
        return None
    if (noun := _counted(question)) and not _STRUCTURAL_NOUN.match(noun):
        return None  # "how many Resident Coordinators …" counts something the structure does not hold
    for intent in (most_cited, deliverables, focus_areas):
        if found := intent(question, units, lang):
            return found
    return None
