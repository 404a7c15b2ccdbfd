"""Rewrite a follow-up question into a standalone one, by rule (no language model needed).

Rule: when the conversation has an earlier user question and the new one leans on it (a pronoun such
as "its"/"they"/"其"/"该", an opener such as "And …"/"What about …"/"那…呢", or it is very short),
retrieval sees the earlier question followed by the new one. A question that names its own topic is
left alone.
"""

from __future__ import annotations

import re

# Pronouns, and picks from an earlier answer's list ("the third one", "the latter", "第三个", "后者").
_EN_ANAPHOR = re.compile(
    # "there" points back only as a place: "are there", "there are" merely say something exists.
    r"\b(it|its|they|their|them|this|that|these|those|(?<!is )(?<!are )(?<!was )(?<!were )there"
    r"(?! (?:is|are|was|were|will|have|has)\b)|he|she|his|her|the same|above|mentioned|such"
    r"|latter|former|(?:first|second|third|fourth|fifth|last|next|other)\s+ones?)\b",
    re.I,
)
_EN_OPENER = re.compile(r"^\s*(and|also|what about|how about|and what|then|so|any|more|why|how so)\b", re.I)
_ZH_ANAPHOR = re.compile(
    r"(它|它们|其|该|此|这些|那些|这个|那个|上述|他们|她们|这一|那一|这方面|同样|前者|后者|最后一个"
    r"|第[一二三四五六七八九十]个(?=[有是呢的包讲说，,？?]|$))"
)
_ZH_OPENER = re.compile(r"^(那么|那|还有|另外|此外|以及|并且|而|又)|呢[？?]?$")
SHORT_EN_WORDS = 4
_NAMES_ITSELF = re.compile(r"\b[A-Z][A-Z0-9+]{1,}\b|[A-Z]{2,}(?=[\u4e00-\u9fff])")
SHORT_ZH_CHARS = 6


def is_followup(question: str) -> bool:
    q = question.strip()
    words = re.findall(r"[A-Za-z]+", q)
    cjk = re.findall(r"[\u4e00-\u9fff]", q)
    # A short question that names its own subject by an acronym ("ODA够不够？", "SDG 8?", "ILO?") stands
    # alone: only a pronoun or an opener ties it to the conversation then.
    short = not _NAMES_ITSELF.search(q) and (len(cjk) <= SHORT_ZH_CHARS if cjk else len(words) <= SHORT_EN_WORDS)
    if cjk:
        return bool(_ZH_ANAPHOR.search(q) or _ZH_OPENER.search(q)) or short
    return bool(_EN_ANAPHOR.search(q) or _EN_OPENER.search(q)) or short


def standalone_question(question: str, history: list[dict] | None) -> str:
    """The question retrieval should see, given earlier turns [{"role", "content"}, ...]."""
    context = ""  # the standalone form of the latest user turn
    for turn in history or []:
        if turn.get("role") == "user" and turn.get("content", "").strip():
            context = _resolve(turn["content"].strip(), context)
    return _resolve(question.strip(), context)


def _resolve(question: str, context: str) -> str:
    return f"{context} {question}" if context and is_followup(question) else question
