"""Machine translation of a document, sentence by sentence, with the configured language model.

Each sentence is prompted with the term-base entries it uses and checked: every detail of the source
(numbers, years, months, percentages, GB symbols) is in the translation, no Chinese is left, the term
base's English names are used, and source and translation are close in the embedding space. A sentence
that fails a check is retried (up to `attempts` in all) with the failures spelled out and a little more
randomness each time; the best attempt is kept and any failure left is flagged. A term base name written
in a variant spelling ("international labor organizations") is set to its official form. Every model
output is cached by (source, model, prompt) in SQLite, so a translation killed midway resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..documents.terms import Term, enforce_terms, term_used, terms_in
from ..documents.text import split_sentences
from ..documents.units import Unit
from ..documents.versions import Version, cjk_count, missing_details

PROMPT_VERSION = "1"
LANGUAGE = {"en": "English", "fr": "French", "es": "Spanish", "zh": "Chinese"}
SYSTEM = (
    "You translate sentences of an International Labour Organization (ILO) Governing Body paper from {source} "
    "into {target}. Reply with the {target} translation of the sentence only: no notes, no explanations, "
    "no {source} words. Keep every number, year, percentage and document symbol (such as GB.332/INS/5) "
    "exactly as written. Use the official names given in the term list."
)


class TranslationCache:
    """Model outputs by hash of (source text, model, prompt); each one committed as it is made."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS tr (key TEXT PRIMARY KEY, text TEXT)")

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT text FROM tr WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, text: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO tr VALUES (?, ?)", (key, text))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


@dataclass
class Checked:
    """One sentence's translation and its checks."""

    unit: str
    source: str
    text: str
    missing: list[str] = field(default_factory=list)  # details of the source not in the translation
    cjk: int = 0  # Chinese characters left
    terms: int = 0  # term-base terms the source uses
    terms_missing: list[str] = field(default_factory=list)  # their official names not used
    similarity: float | None = None
    retried: bool = False
    flagged: bool = False
    seconds: float = 0.0

    def failures(self, target: str, min_similarity: float) -> list[str]:
        out = []
        if self.missing:
            out.append(f"keep exactly: {', '.join(m.split(':', 1)[-1] for m in self.missing)}")
        if self.cjk and target != "zh":
            out.append(f"write no Chinese characters; translate every word into {LANGUAGE.get(target, target)}")
        if self.terms_missing:
            out.append("use these official names: " + "; ".join(self.terms_missing))
        if self.similarity is not None and self.similarity < min_similarity:
            out.append("translate the whole sentence faithfully, leaving nothing out and adding nothing")
        return out


def clean_output(text: str) -> str:
    """The translation without the framing small models add (labels, quotes, a second paragraph)."""
    text = text.strip()
    for prefix in ("English:", "Translation:", "English translation:", "French:", "Spanish:"):
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :].strip()
    text = text.split("\n\n")[0].strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    return text.strip("“”").strip()


def prompt_messages(source: str, terms: list[Term], src_lang: str, target: str, hint: list[str] | None = None):
    names = {"source": LANGUAGE.get(src_lang, src_lang), "target": LANGUAGE.get(target, target)}
    lines = []
    if terms:
        lines.append("Terms: " + "; ".join(f"{t.zh[0]} = {t.preferred}" for t in terms))
    if hint:
        lines.append("Your last translation was not accepted. " + " ".join(h[0].upper() + h[1:] + "." for h in hint))
    lines.append(f"{names['source']}: {source}")
    lines.append(f"{names['target']}:")
    return [("system", SYSTEM.format(**names)), ("user", "\n".join(lines))]


def _ask(llm, messages, max_tokens: int, temperature: float) -> str:
    from llama_index.core.llms import ChatMessage

    chat = [ChatMessage(role=role, content=content) for role, content in messages]
    return llm.chat(chat, max_tokens=max_tokens, temperature=temperature).message.content or ""


@dataclass
class TranslationReport:
    sentences: list[Checked]
    seconds: float
    model_calls: int  # calls made (the rest came from the cache)

    def summary(self) -> dict:
        s = self.sentences
        n_details = sum(1 for c in s if not c.missing)
        terms = sum(c.terms for c in s)
        terms_ok = terms - sum(len(c.terms_missing) for c in s)
        sims = sorted(c.similarity for c in s if c.similarity is not None)
        q = (lambda p: round(sims[min(len(sims) - 1, int(p * len(sims)))], 3)) if sims else (lambda p: None)
        return {
            "sentences": len(s),
            "details_preserved": round(n_details / len(s), 4) if s else None,
            "terms_used": round(terms_ok / terms, 4) if terms else None,
            "term_occurrences": terms,
            "chinese_characters_left": sum(c.cjk for c in s),
            "similarity": {"min": q(0), "p10": q(0.1), "p50": q(0.5), "mean": round(statistics.fmean(sims), 3)}
            if sims
            else None,
            "retried": sum(c.retried for c in s),
            "flagged": sum(c.flagged for c in s),
            "model_calls": self.model_calls,
            "seconds": round(self.seconds, 1),
            "seconds_per_model_call": round(self.seconds / self.model_calls, 2) if self.model_calls else None,
        }


def translate_units(
    units: list[Unit],
    llm,
    model: str,
    terms: list[Term],
    cache: TranslationCache,
    src_lang: str = "zh",
    target: str = "en",
    embedder=None,
    min_similarity: float = 0.7,
    progress: bool = True,
    attempts: int = 3,
) -> TranslationReport:
    """Every sentence of every unit translated and checked (see the module docstring)."""
    from tqdm import tqdm

    todo = [(u.id, s) for u in units for s in split_sentences(u.plain_text)]
    bar = tqdm(
        total=len(todo),
        desc=f"translating to {target} ({model})",
        unit="sentence",
        file=sys.stderr,
        disable=not progress,
    )
    t0, calls, out = time.perf_counter(), 0, []

    def attempt(source: str, used: list[Term], hint: list[str] | None, n: int = 1) -> str:
        nonlocal calls
        messages = prompt_messages(source, used, src_lang, target, hint)
        parts = [source, model, PROMPT_VERSION, json.dumps(messages, ensure_ascii=False)]
        key = TranslationCache.key(*parts, *([f"attempt {n}"] if n > 2 else []))
        text = cache.get(key)
        if text is None:
            temperature = 0.0 if n == 1 else min(0.9, 0.3 * (n - 1))
            raw = _ask(llm, messages, max_tokens=min(1024, 3 * len(source) + 64), temperature=temperature)
            text = clean_output(raw)
            cache.put(key, text)
            calls += 1
        return enforce_terms(text, used)

    def attempt_word(word: str, source: str) -> str:
        nonlocal calls
        name = LANGUAGE.get(target, target)
        messages = [
            ("system", f"Translate the Chinese words into {name}. Reply with the {name} words only."),
            ("user", f"Chinese: {word}\n(They are from this sentence: {source})\n{name}:"),
        ]
        key = TranslationCache.key(word, model, PROMPT_VERSION, json.dumps(messages, ensure_ascii=False))
        text = cache.get(key)
        if text is None:
            text = (clean_output(_ask(llm, messages, max_tokens=24, temperature=0.0)).splitlines() or [""])[0]
            cache.put(key, text)
            calls += 1
        return text

    def check(uid: str, source: str, text: str, used: list[Term]) -> Checked:
        return Checked(
            unit=uid,
            source=source,
            text=text,
            missing=missing_details(source, text),
            cjk=cjk_count(text) if target != "zh" else 0,
            terms=len(used),
            terms_missing=[t.preferred for t in used if not term_used(t, text)],
        )

    for uid, source in todo:
        t = time.perf_counter()
        used = terms_in(source, terms)
        c = check(uid, source, attempt(source, used, None), used)
        if embedder is not None:
            c.similarity = _similarity(embedder, source, c.text)
        hint = c.failures(target, min_similarity)
        n = 1
        while hint and n < attempts:  # retried with the failures spelled out; the best attempt is kept
            n += 1
            again = check(uid, source, attempt(source, used, hint, n), used)
            if embedder is not None:
                again.similarity = _similarity(embedder, source, again.text)
            if _rank(again, target, min_similarity) < _rank(c, target, min_similarity):
                c = again
            hint = again.failures(target, min_similarity)
        if c.cjk and target != "zh":  # Chinese words left in: each put into the target language on its own
            fixed = _replace_chinese(c.text, terms, lambda m, src=source: attempt_word(m, src))
            c = replace(check(uid, source, fixed, used), similarity=c.similarity, retried=c.retried)
        c.retried = n > 1
        c.flagged = bool(c.failures(target, min_similarity))
        c.seconds = time.perf_counter() - t
        out.append(c)
        bar.update(1)
    bar.close()
    return TranslationReport(out, time.perf_counter() - t0, calls)


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def _replace_chinese(text: str, terms: list[Term], translate_word) -> str:
    """The text with each run of Chinese characters replaced by its term base name, else by the model's
    translation of that run alone (whatever Chinese is still left is dropped, and the check still sees it)."""

    def one(m: re.Match) -> str:
        run = m.group(0)
        known = next((t.preferred for t in terms if run in t.zh), None)
        english = known or _CJK_RUN.sub("", translate_word(run)).strip(" .\"'")
        return f" {english} " if english else " "

    return re.sub(r"\s{2,}", " ", _CJK_RUN.sub(one, text)).strip()


def _rank(c: Checked, target: str, min_similarity: float) -> tuple:
    """Fewer failed checks first, then the closer translation."""
    return (len(c.failures(target, min_similarity)), -(c.similarity or 0.0))


def _similarity(embedder, a: str, b: str) -> float:
    va, vb = embedder.embed_documents([a, b])
    return float(va @ vb)


def as_version(doc: str, target: str, model: str, units: list[Unit], report: TranslationReport) -> Version:
    """The document's machine-translated version: each unit's sentences joined, with their checks."""
    by_unit: dict[str, list[str]] = {}
    for c in report.sentences:
        by_unit.setdefault(c.unit, []).append(c.text)
    sep = "" if target == "zh" else " "
    texts = {u.id: sep.join(by_unit[u.id]) for u in units if u.id in by_unit}
    meta = {
        "model": model,
        "date": time.strftime("%Y-%m-%d"),
        "prompt_version": PROMPT_VERSION,
        "summary": report.summary(),
        "sentences": [asdict(c) for c in report.sentences],
    }
    return Version(doc, target, texts, f"machine translation by {model}", meta)
