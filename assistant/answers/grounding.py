"""Citation checking for written answers: every sentence keeps only citations its sources support.

Small models drop, invent or garble citation markers, so the markers are treated as hints:
1. the answer is split into sentences, each with the markers written in or after it
   ([¶12], [fn 3], [D2.5], [1], 【¶12】, "paragraph 12", "第12段");
2. each sentence is judged against every retrieved unit by the support judge (exact containment,
   else embedding similarity at the calibrated threshold);
3. a sentence keeps the cited units that support it; if none does, the retrieved unit that supports
   it best (re-attributed); a sentence no retrieved unit supports is dropped (or marked, by setting);
4. markers that name no retrieved unit are removed; with no supported sentence left the answer is a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..documents.text import ByLanguage
from ..documents.units import Unit
from .prompt import NO_ANSWER, neutralise

_MARKER = re.compile(
    r"\[([^\[\]\n]{1,24})\]|【([^【】\n]{1,24})】"
    r"|[(（]\s*((?:¶|para(?:graph)?\.?|fn|footnote|第|脚注)\s*\d+\s*段?)\s*[)）]",
    re.I,
)
_SENTENCE = re.compile(
    r"[^。！？!?\n]+?(?:[。！？!?]+|\.(?=\s|$|\[|【)|$)(?:\s*(?:\[[^\[\]\n]{1,24}\]|【[^【】\n]{1,24}】))*"
)
_PARA = re.compile(r"^(?:¶|para(?:graph)?\.?|第)\s*(\d+)\s*段?$", re.I)
_FN = re.compile(r"^(?:fn|footnote|脚注|注)\s*(\d+)$", re.I)
MIN_CLAIM_CHARS = 6  # shorter pieces ("1.", "Answer:") are list numbers or framing, not claims
MARKED = ByLanguage({"en": " (not supported by the sources)", "zh": "（来源不支持此句）"})


@dataclass
class Statement:
    text: str  # without markers
    units: list[Unit] = field(default_factory=list)  # the units that support it, best first
    quotes: list[str] = field(default_factory=list)  # each unit's best-matching sentence
    scores: list[float] = field(default_factory=list)
    reattributed: bool = False


@dataclass
class Grounded:
    answer: str
    statements: list[Statement]
    dropped: list[str]  # sentences no retrieved unit supports
    removed_markers: list[str]  # markers naming no retrieved unit
    declined: bool = False  # the model said the sources do not answer

    @property
    def answered(self) -> bool:
        return bool(self.statements) and not self.declined


def split_answer(text: str) -> list[str]:
    """Sentences of a written answer, each with the citation markers that follow it."""
    out = []
    for line in text.splitlines():
        for m in _SENTENCE.finditer(line):
            piece = m.group(0).strip()
            if piece:
                out.append(piece)
    return out


def normalise_label(raw: str) -> str:
    s = raw.strip().replace("¶ ", "¶")
    if m := _PARA.match(s):
        return f"¶{m[1]}"
    if m := _FN.match(s):
        return f"fn {m[1]}"
    return s


def resolve_marker(raw: str, sources: list[Unit]) -> Unit | None:
    """The source a marker names: by label, or by its number in the prompt's list ([1] = first)."""
    label = normalise_label(raw)
    for u in sources:
        if u.label == label or u.label.lower() == label.lower():
            return u
    if label.isdigit() and 1 <= int(label) <= len(sources):
        return sources[int(label) - 1]
    return None


def strip_markers(sentence: str) -> tuple[str, list[str]]:
    raws = [a or b or c for a, b, c in _MARKER.findall(sentence)]
    bare = _MARKER.sub("", sentence)
    return re.sub(r"\s+([。，；！？.,;!?])", r"\1", re.sub(r"[ \t]{2,}", " ", bare)).strip(), raws


def is_decline(text: str) -> bool:
    return NO_ANSWER.lower().replace("_", "") in text.lower().replace("_", "").replace(" ", "")


def ground(text: str, sources: list[Unit], judge, lang: str, mark_unsupported: bool = False) -> Grounded:
    """The answer rebuilt from its supported sentences, each followed by the labels of its supporting units."""
    if is_decline(text):
        return Grounded("", [], [], [], declined=True)
    statements: list[Statement] = []
    dropped: list[str] = []
    removed: list[str] = []
    parts: list[str] = []
    texts = [neutralise(u.plain_text) for u in sources]  # the text the model saw
    seen: set[str] = set()
    for sentence in split_answer(text):
        bare, raws = strip_markers(sentence)
        if len(re.findall(r"\w", bare)) < MIN_CLAIM_CHARS or bare in seen:  # small models repeat themselves
            continue
        seen.add(bare)
        claimed = []
        for raw in raws:
            u = resolve_marker(raw, sources)
            if u is None:
                removed.append(raw)
            elif u not in claimed:
                claimed.append(u)
        matches = judge.match(bare, texts)
        ok = {u.id: m for u, m in zip(sources, matches) if m[0] >= judge.threshold}
        supporting = [u for u in claimed if u.id in ok]
        reattributed = False
        if not supporting and ok:
            supporting = [max((u for u in sources if u.id in ok), key=lambda u: ok[u.id][0])]
            reattributed = True
        if not supporting:
            dropped.append(bare)
            if mark_unsupported:
                parts.append(bare + MARKED[lang])
            continue
        st = Statement(
            bare,
            supporting,
            [ok[u.id][2] for u in supporting],
            [ok[u.id][0] for u in supporting],
            reattributed,
        )
        statements.append(st)
        parts.append(bare + " " + " ".join(f"[{u.label}]" for u in supporting))
    sep = "" if lang == "zh" else " "
    return Grounded(sep.join(parts) if statements else "", statements, dropped, removed)
