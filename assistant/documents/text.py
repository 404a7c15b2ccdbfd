"""Text utilities every stage uses: sentences (the grain at which answers quote and cite) and language."""

from __future__ import annotations

import re

# After a Chinese full stop / question / exclamation mark / semicolon, or an English one before a space.
_BOUNDARY = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+(?=[A-Z(\"“])")
MIN_CHARS = 12


def split_sentences(text: str) -> list[str]:
    """Sentences of a text in order; fragments too short to stand alone join the one before."""
    out: list[str] = []
    for piece in _BOUNDARY.split(text.replace("\n", " ")):
        piece = piece.strip()
        if not piece:
            continue
        if out and len(piece) < MIN_CHARS:
            out[-1] += piece
        else:
            out.append(piece)
    return out


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters, else 'en'."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return "zh" if cjk and cjk >= 0.25 * latin else "en"
