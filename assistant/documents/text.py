"""Text utilities every stage uses: sentences (the grain at which answers quote and cite), language, and the
sanitising every interface applies to text coming in (questions, documents) and going out (terminal, exports)."""

from __future__ import annotations

import re
import unicodedata

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


# Function words of the ILO's working languages besides Chinese. A Latin-script text is French or Spanish
# when it has more of that language's function words than English ones; English is the default, so an
# acronym or a label alone ("ILO", "paragraph 12") stays English. (A statistical identifier such as
# py3langid took 1.9 s to load here and called "ILO" Spanish; questions are short and these words decide.)
_FUNCTION_WORDS = {
    "en": set(
        "the of and to in is are was were what which who whom how why when where does do did for on with by a an "
        "about say says this that these those be has have had will it its from as at there any".split()
    ),
    "fr": set(
        "le la les des du de un une est sont que qui quel quelle quels quelles quoi comment pourquoi quand où "
        "dans pour par sur avec au aux et ce cette ces il elle dit qu c l d n pas ne combien ou se sa son ses "
        "leur leurs été être".split()
    ),
    "es": set(
        "el la los las del de un una es son que qué quién quiénes cuál cuáles cómo por para en con y al se dice "
        "cuántos cuántas cuánto dónde cuándo lo su sus este esta estos estas ha han sobre porqué".split()
    ),
}
_MARKS = {"fr": set("çœèêëàâîïûù"), "es": set("ñ¿¡áíóú")}
_WORD = re.compile(r"[^\W\d_]+")


class ByLanguage(dict):
    """Phrases by language code; a language without its own phrases (French, Spanish: the product speaks
    Chinese and English) gets the English ones, while answers still quote that language's version."""

    def __missing__(self, key: str):
        return self["en"]


def language_of(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters; else 'fr' or 'es' when that
    language's function words (and letters) outnumber English ones; else 'en'."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    if cjk and cjk >= 0.25 * latin:
        return "zh"
    low = text.lower().replace("’", "'")
    words = [w.lower() for w in _WORD.findall(text.replace("’", "'")) if not (len(w) > 1 and w.isupper())]
    score = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    for lang, marks in _MARKS.items():
        score[lang] += sum(ch in marks for ch in low)
    best = max(("fr", "es"), key=lambda lang: score[lang])
    return best if score[best] >= 2 and score[best] > score["en"] else "en"


# --- sanitising text at the edge -------------------------------------------------------------------
# Questions, batch lines, ingested documents and exports pass through here once, as they come in or go out.
# Unicode is normalised to NFC, not NFKC: NFKC would fold the superscript footnote markers (¹ → 1) and the
# full-width CJK punctuation (：（）) that the parser and the quotations depend on; NFC only joins
# combining sequences, so a quotation still matches its source character for character.

# Zero-width and invisible formatting characters (and bidirectional overrides, which can make a line read
# differently from what it holds): removed. A question made only of these is empty.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# C0 controls except tab, newline (and form feed, the page break, in documents), DEL and C1 controls:
# this includes ESC, so terminal escape sequences lose their power.
_CONTROLS = "\x00-\x08\x0b\x0e-\x1f\x7f-\x9f"
_STRIP = re.compile(f"[{_CONTROLS}{_INVISIBLE}\x0c\r]")
_STRIP_DOC = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters XML 1.0 (DOCX) cannot hold.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UnsafeText(ValueError):
    """Text that cannot be taken in as it is (a lone surrogate); the message says where and what to do."""


def check_surrogates(text: str, what: str = "the text") -> None:
    if m := _SURROGATE.search(text):
        raise UnsafeText(
            f"{what} holds an invalid character (a lone surrogate, U+{ord(m.group()):04X}, at position "
            f"{m.start() + 1}): it is not valid Unicode; retype it, or save the file as UTF-8"
        )


def sanitize(text: str, what: str = "the text") -> str:
    """A question or one-line value: lone surrogates rejected (UnsafeText); NFC; control characters except
    newline and tab, and zero-width characters, removed (a carriage return becomes a newline)."""
    check_surrogates(text, what)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _STRIP.sub("", text)


def sanitize_document(text: str, what: str = "the document") -> str:
    """A document's text: as `sanitize`, keeping form feeds (page breaks)."""
    check_surrogates(text, what)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _STRIP_DOC.sub("", text)


def printable(text: str) -> str:
    """Text safe to print on a terminal or write to any file: controls, invisible characters and lone
    surrogates removed, whatever their origin (an index built before sanitising, a model's output)."""
    return _STRIP_DOC.sub("", _SURROGATE.sub("\ufffd", text))


def xml_safe(text: object) -> str:
    """Text a DOCX can hold: lone surrogates and characters XML 1.0 forbids (NUL, most C0 controls) removed."""
    return _NOT_XML.sub("", _STRIP_DOC.sub("", str(text)))


# --- document ids and language codes ---------------------------------------------------------------

# A document id names files (corpus/<id>.<lang>.<ext>) and prefixes unit ids (<id>:p12): a safe slug.
DOC_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
# BCP 47 (RFC 5646) language tags, well-formed: language[-extlang][-script][-region](-variant)*(-extension)*[-x-private]
_BCP47 = re.compile(
    r"(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
)


def check_doc_id(value: str) -> str:
    """The id if it is a safe slug, else a ValueError saying what an id may hold."""
    if not isinstance(value, str) or not DOC_ID.fullmatch(value) or ".." in value:
        raise ValueError(
            f"{value!r} is not a valid document id: use 1 to 100 letters, digits, '.', '_' or '-', beginning and "
            "ending with a letter or digit (e.g. GB.334-INS-4)"
        )
    return value


def check_language(value: str) -> str:
    """The primary language subtag (lower case) of a well-formed BCP 47 tag (zh, en, zh-Hans, es-419),
    else a ValueError saying what is expected."""
    m = _BCP47.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not a BCP 47 language code: give e.g. zh, en, fr, es or zh-Hans")
    return m["lang"].split("-")[0].lower()
