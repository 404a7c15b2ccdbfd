"""Split unit text into sentences, the grain at which extractive answers quote and cite."""

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
