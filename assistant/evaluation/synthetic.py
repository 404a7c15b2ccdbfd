"""Synthetic gold questions, written by the language model rather than by hand.

Per unit and per language the unit is read in (its original, and each language version), the model writes
questions that the unit answers, each with its short answer copied from the unit, in the style of
LlamaIndex's question–context pairs and RAGAS's simple questions. A round-trip check keeps a question only
when its answer is really in the unit (so the unit is a true gold unit), the question is in the asked
language, stands on its own and does not copy the unit's wording. The answer becomes the question's key
fact. Questions are labelled `synthetic`; every model output is cached, so a run killed midway resumes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..documents.text import language_of
from ..documents.units import Unit

PROMPT_VERSION = "1"
LANGUAGE = {"zh": "Chinese", "en": "English", "fr": "French", "es": "Spanish"}
# The second round asks for the details a reader looks up (a date, a number, a name, a document), so a
# passage gives questions of other kinds than the first round's.
DETAIL = " Ask about its details: a date or year, a number, the name of a body, programme or document, a list."
SYSTEM = (
    "You write test questions for a search system over a paper of the International Labour Organization "
    "(ILO) Governing Body. Given one passage, write {n} different questions in {language} that the passage "
    "answers, each followed by its short answer copied word for word from the passage. Each question must "
    "make sense to a reader who has not seen the passage: name its subject, and never say 'the passage', "
    "'this paragraph' or 'the text'. Ask in your own words. Reply in exactly this form:\n"
    "Q: <question>\nA: <answer copied from the passage>"
)
# Questions that point at the passage instead of naming their subject, or ask for a paragraph by number
# (a look-up, which needs no retrieval).
_DEICTIC = re.compile(
    r"passage|\b(?:this|these|those|the above|the said)\b|the text|本段|这段|该段|上述|本文|这一段|以上|此段"
    r"|这个|这些|这一|这项|这种|这份|这次|这里|(?<!应)该|(?<![因彼如])此(?!外)|其中|本次|本届"
    r"|paragraph \d|footnote \d|第\s*\d+\s*段|脚注\s*\d"
)
_QA = re.compile(r"Q[:：]\s*(?P<q>.+?)\s*\n\s*A[:：]\s*(?P<a>.+?)(?=\n\s*Q[:：]|\Z)", re.S)
_PUNCT = re.compile(r"[\s\"'“”‘’「」《》()（）,，。.;；:：!！?？、]+")


@dataclass
class Candidate:
    unit: str
    language: str
    question: str
    answer: str
    fact: str = ""  # the stretch of the unit the answer repeats: the key fact
    kept: bool = False
    why: str = ""  # the check it failed


def _norm(text: str) -> str:
    return _PUNCT.sub("", text).lower()


def parse_pairs(raw: str) -> list[tuple[str, str]]:
    """(question, answer) pairs from the model's "Q: … / A: …" lines."""
    return [(m["q"].strip(), m["a"].strip().splitlines()[0].strip()) for m in _QA.finditer(raw.strip() + "\n")]


def answer_span(answer: str, passage: str) -> str:
    """The longest stretch of the passage the model's answer repeats (case aside): the key fact, verbatim."""
    a, p = answer.strip(" .。\"“”'").lower(), passage.lower()
    m = SequenceMatcher(None, a, p, autojunk=False).find_longest_match(0, len(a), 0, len(p))
    return passage[m.b : m.b + m.size].strip() if m.size >= max(2, 0.6 * len(a)) else ""


def round_trip(question: str, answer: str, passage: str, language: str) -> str:
    """Why a generated question fails the round trip ('' when it passes): its answer must be in the
    passage (most of it word for word) and be a part of it, not all of it; the question must be in
    `language`, be a question, name its subject and not copy the passage."""
    q, p = _norm(question), _norm(passage)
    if language_of(question) != language:
        return "wrong language"
    if not question.rstrip().endswith(("?", "？")):
        return "not a question"
    if _DEICTIC.search(question.lower()):
        return "points at the passage"
    if len(q) < 8 or (language != "zh" and len(question.split()) < 5):  # "为什么至关重要？" names no subject
        return "too short to name its subject"
    span = answer_span(answer, passage)
    if len(_norm(span)) < 2:
        return "answer not in the passage"
    if len(_norm(span)) > 0.8 * len(p):
        return "answer is the whole passage"
    # Official names are long ("国际劳工组织《2020-25 年发展合作战略》"): a question may repeat one; it copies
    # the passage when most of it is one stretch of the passage.
    m = SequenceMatcher(None, q, p, autojunk=False).find_longest_match(0, len(q), 0, len(p))
    if m.size > max(16, 0.7 * len(q)):
        return "copies the passage"
    return ""


def passages(unit: Unit, original_language: str) -> dict[str, str]:
    """The unit's text in each language it has (original first)."""
    out = {original_language: unit.plain_text}
    out.update({lang: text for lang, text, _ in unit.versions})
    return out


def generate(
    units: list[Unit],
    original_language: str,
    ask,
    languages: tuple[str, ...] = ("zh", "en"),
    per_call: int = 2,
    min_chars: int = 40,
    progress: bool = True,
    details: bool = False,
) -> list[Candidate]:
    """Candidates for every unit long enough to ask about, in each wanted language it has, each checked.
    `ask(messages) -> str` calls the model (cached by the caller)."""
    from tqdm import tqdm

    todo = [
        (u, lang, text)
        for u in units
        for lang, text in passages(u, original_language).items()
        if lang in languages and len(text) >= (min_chars if lang == "zh" else 2 * min_chars)
    ]
    out: list[Candidate] = []
    seen: set[str] = set()
    for u, lang, text in tqdm(todo, desc="writing questions", unit="passage", file=sys.stderr, disable=not progress):
        messages = [
            ("system", SYSTEM.format(n=per_call, language=LANGUAGE.get(lang, lang)) + (DETAIL if details else "")),
            ("user", f"Passage ({LANGUAGE.get(lang, lang)}):\n{text}"),
        ]
        for question, answer in parse_pairs(ask(messages))[:per_call]:
            c = Candidate(u.id, lang, question, answer, fact=answer_span(answer, text))
            c.why = round_trip(question, answer, text, lang) or ("duplicate" if _norm(question) in seen else "")
            c.kept = not c.why
            seen.add(_norm(question))
            out.append(c)
    return out


def as_gold(candidates: list[Candidate], model: str) -> list[dict]:
    """Kept candidates as gold questions (ids s001…), their answer as the key fact."""
    kept = [c for c in candidates if c.kept]
    return [
        {
            "id": f"s{i:03d}",
            "question": c.question,
            "language": c.language,
            "category": "synthetic",
            "answerable": True,
            "gold": [c.unit],
            "key_facts": [{c.language: c.fact}],
            "source": f"synthetic:{model}:prompt{PROMPT_VERSION}",
        }
        for i, c in enumerate(kept, 1)
    ]
