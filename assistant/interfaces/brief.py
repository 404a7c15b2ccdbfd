"""Briefing notes for UN Resident Coordinators: a structured, cited note on a topic.

Title, purpose, key messages (3–7 bullets, each citing its paragraph), what the ILO will deliver in
2019 on the topic, the Governing Body papers to read next (from the footnotes of the cited units), and
an annex quoting every cited unit in full. The key messages are quoted sentences, or, when a language
model is configured, written by it and checked like written answers (grounding.py): a message keeps
only the units that support it, and an unsupported one is dropped (an exported note must not carry
it). Markdown is the editable form; `markdown_to_docx` renders it with real headings and
footnote-style numbered citations.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..answers.answer import LANGUAGE_NAMES, text_in
from ..documents.text import ByLanguage, language_of, xml_safe
from ..engine import validate
from .render import provenance_note

MIN_MESSAGES, MAX_MESSAGES = 3, 7


class NoMaterial(ValueError):
    """The documents hold nothing close enough to the topic to brief on."""


@dataclass
class KeyMessage:
    text: str
    units: list  # the units that support it, best first
    written: bool = False  # written by the language model (and checked), else quoted from its unit


@dataclass
class Briefing:
    topic: str
    language: str
    messages: list[KeyMessage] = field(default_factory=list)
    deliverables: list[object] = field(default_factory=list)
    papers: list[tuple[str, list[object], bool]] = field(default_factory=list)  # (symbol, footnotes, in corpus)
    symbol: str = ""
    documents: dict[str, object] = field(default_factory=dict)  # id → DocumentInfo, for the corpus's documents
    backend: str = "extractive"  # what wrote the key messages
    fallback: str = ""  # why a configured model's messages were not used
    dropped: list[str] = field(default_factory=list)  # the model's sentences no source supports
    restated: dict[str, str] = field(default_factory=dict)  # deliverable id → its checked restatement
    raw: str = ""  # the model's text before the check
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def cited(self) -> list:
        units = {u.id: u for m in self.messages for u in m.units}
        units.update({u.id: u for u in self.deliverables})
        return sorted(units.values(), key=lambda u: (list(self.documents).index(u.doc), u.order))

    @property
    def sources(self) -> list:
        """The documents the note cites, in corpus order."""
        ids = {u.doc for u in self.cited}
        return [d for i, d in self.documents.items() if i in ids]

    def ref(self, unit) -> str:
        """A unit's citation label, naming its document when the note cites several."""
        if len(self.sources) > 1:
            return f"{self.documents[unit.doc].symbol} {unit.label}"
        return unit.label

    def to_dict(self) -> dict:
        """The note for scripts (`brief --json`): every message, deliverable and paper with its citations."""

        def cite(u) -> dict:
            return {"id": u.id, "doc": u.doc, "label": u.label, "ref": self.ref(u)}

        return {
            "topic": self.topic,
            "language": self.language,
            "backend": self.backend,
            "fallback": self.fallback or None,
            "dropped": self.dropped,
            "documents": [{"id": d.id, "symbol": d.symbol, "title": d.title} for d in self.sources],
            "messages": [
                {"text": m.text, "written": m.written, "citations": [cite(u) for u in m.units]} for m in self.messages
            ],
            "deliverables": [
                {
                    "text": self.restated.get(u.id, text_in(u, self.language)),
                    "written": u.id in self.restated,
                    **cite(u),
                }
                for u in self.deliverables
            ],
            "papers": [
                {"symbol": sym, "in_corpus": present, "cited_in": [cite(n) for n in notes]}
                for sym, notes, present in self.papers
            ],
            "annex": [{**cite(u), "section": " > ".join(u.section), "text": u.plain_text} for u in self.cited],
            "markdown": to_markdown(self),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


HEADINGS = ByLanguage(
    {
        "en": {
            "title": "Briefing note: {topic}",
            "purpose": "Purpose",
            "messages": "Key messages",
            "deliver": "What the ILO will deliver in 2019",
            "papers": "Governing Body papers to read next",
            "annex": "Annex: cited texts",
            "none": "No 2019 deliverable addresses this topic directly.",
            "no_papers": "The cited paragraphs cite no Governing Body paper.",
            "purpose_text": "Background for UN Resident Coordinators on “{topic}”, drawn from {sources}. "
            "Every point cites its paragraph.",
            "original": " Quotations are from the {language} text.",
            "version": "Quotations: {note}; the annex quotes the original.",
            "written": "Key messages written by {backend} and checked against the cited paragraphs",
            "removed": "; {n} unsupported sentence(s) removed",
            "topped_up": "; {n} quoted to complete the note",
            "restated": "; {n} deliverable(s) restated in English and checked the same way",
            "fallback": "⚠ The key messages are quoted: {reason}",
            "in_corpus": "in the corpus",
            "not_in_corpus": "not in the corpus",
            "cited_in": "cited in",
        },
        "zh": {
            "title": "简报：{topic}",
            "purpose": "目的",
            "messages": "要点",
            "deliver": "国际劳工组织 2019 年将交付的成果",
            "papers": "延伸阅读的理事会文件",
            "annex": "附件：引用原文",
            "none": "没有直接涉及该主题的 2019 年可交付成果。",
            "no_papers": "所引段落未引用理事会文件。",
            "purpose_text": "供联合国驻地协调员参考的“{topic}”背景材料，依据 {sources}。每一要点均注明所引段落。",
            "original": "引文为{language}原文。",
            "version": "引文：{note}；附件引用原文。",
            "written": "要点由 {backend} 撰写，并已逐句核对所引段落",
            "removed": "；删除了 {n} 个无依据的句子",
            "topped_up": "；另引用原文 {n} 条以补足要点",
            "restated": "；{n} 项可交付成果已用中文转述，并以同样方式核对",
            "fallback": "⚠ 要点改为引用原文：{reason}",
            "in_corpus": "已收入语料库",
            "not_in_corpus": "未收入语料库",
            "cited_in": "引用于",
        },
    }
)


def build_briefing(
    engine, topic: str, language: str | None = None, max_messages: int = 5, write: bool = True, doc: str | None = None
) -> Briefing:
    """Gather the units relevant to the topic (in one document, `doc`, or all) and arrange them as a note."""
    for event in build_briefing_stream(engine, topic, language, max_messages, write, doc):
        if isinstance(event, Briefing):
            return event
    raise AssertionError("build_briefing_stream ended without a briefing")


def build_briefing_stream(
    engine,
    topic: str,
    language: str | None = None,
    max_messages: int = 5,
    write: bool = True,
    doc: str | None = None,
) -> Iterator[str | Briefing]:
    """The model's draft of the key messages as it writes them (str, when one is configured and
    `write`), then the checked Briefing, always last."""
    topic = validate(topic, engine.settings.max_question_chars, "topic")
    engine.scope(topic, doc)  # an unknown document is an InvalidQuestion that lists the known ones
    lang = language or language_of(topic)
    s = engine.settings
    high = max(MIN_MESSAGES, min(max_messages, MAX_MESSAGES))
    # A bare topic is phrased as a question: the refusal thresholds were calibrated on questions.
    asked = language_of(topic)
    query = f"关于{topic}，文件说了什么？" if asked == "zh" else f"What does the paper say about {topic}?"
    r = engine.retrieve(query, asked, k=max(15, high * 3), doc=doc, lang=asked)
    threshold = engine.refusal_threshold(asked, r.evidence_language)
    if r.top_dense < threshold or not r.hits:
        where = engine.docs[doc][0] if doc else engine.symbol
        raise NoMaterial(f"{where} has nothing close enough to “{topic}” to brief on")
    relevant = [h for h in r.hits if h.dense >= r.top_dense - 1.5 * s.answer_window]
    prose = [h.unit for h in relevant if h.unit.kind in ("paragraph", "decision", "purpose")]
    if len(prose) < MIN_MESSAGES:  # a narrow topic: take the best prose units even if further away
        prose += [h.unit for h in r.hits if h.unit.kind in ("paragraph", "purpose") and h.unit not in prose]
    prose = prose[: high + 2]
    sentences = engine.index.sentence_vectors([u.id for u in prose], lang)  # in the note's language version
    best: dict[str, tuple[float, str]] = {}
    for sent, vec in sentences:
        score = float(vec @ r.query_vec)
        if sent["unit"] not in best or score > best[sent["unit"]][0]:
            best[sent["unit"]] = (score, sent["text"])
    # Keep the messages whose best sentence is near the best one (at least MIN_MESSAGES), in reading order.
    ranked = sorted((u for u in prose if u.id in best), key=lambda u: -best[u.id][0])
    top = best[ranked[0].id][0] if ranked else 0.0
    kept = [u for i, u in enumerate(ranked) if i < MIN_MESSAGES or best[u.id][0] >= top - s.answer_window]
    b = Briefing(
        topic=topic,
        language=lang,
        messages=[KeyMessage(best[u.id][1], [u]) for u in sorted(kept, key=lambda u: u.order)],
        deliverables=sorted((h.unit for h in relevant if h.unit.kind == "deliverable"), key=lambda u: u.order),
        symbol=engine.symbol,
        documents={d.id: d for d in engine.index.documents},
    )
    if engine.llm is not None and write:
        engine.seed_judge(sentences)
        yield from _write_messages(engine, b, ranked, {u.id: [best[u.id][1]] for u in ranked}, high)
        foreign = [u for u in b.deliverables if b.documents[u.doc].language != b.language and not u.version(b.language)]
        if foreign and not b.fallback:
            yield "\n\n"
            yield from _restate(engine, b, foreign)
    b.papers = _papers(engine, b)
    yield b


_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)、])\s+", re.M)


def _generate(engine, make_messages, units: list, quoted: dict, timings: dict) -> Generator[str, None, str]:
    """Prompt the model with the sources cut to the brief's budget (and its context), stream its text,
    return it whole; a failure is `LLMFailed`."""
    from ..answers.generate import fit_prompt, generate

    s = engine.settings
    messages, _ = fit_prompt(engine.llm, make_messages, units, quoted, s.llm_brief_source_chars, s.llm_brief_max_tokens)
    return (yield from generate(engine.llm, messages, s, timings, max_tokens=s.llm_brief_max_tokens))


# "D2.5: text" or "[¶7] text": the label written first becomes the marker after the text.
_LEADING_LABEL = re.compile(r"^\s*\[?((?:D\d+\.\d+)|(?:¶\s?\d+)|(?:fn \d+))\]?\s*[:：.]?\s+(\S.*)$")


def _claims(raw: str, example: str = "") -> str:
    """The model's lines as claims: bullets, emphasis, framing lines ("Key messages:") and an echo of
    the prompt's example removed, for they are layout, not statements about the sources; a label
    written before the text is moved after it."""
    plain = _BULLET.sub("", re.sub(r"\*\*|__", "", raw))
    lines = [_LEADING_LABEL.sub(r"\2 [\1]", x) for x in plain.splitlines()]
    return "\n".join(x for x in lines if not re.search(r"[:：]\s*$", x) and not (example and example in x))


def _write_messages(engine, b: Briefing, units: list, quoted: dict[str, list[str]], high: int) -> Iterator[str]:
    """Replace the quoted key messages with the model's, keeping only supported sentences (topped up
    with quoted ones to MIN_MESSAGES); on a model failure keep the quoted ones and say why."""
    from ..answers import prompt as P
    from ..answers.generate import LLMFailed
    from ..answers.grounding import ground

    def make(sources):
        return P.brief_messages(b.topic, sources, b.language, MIN_MESSAGES, high)

    try:
        b.raw = yield from _generate(engine, make, units, quoted, b.timings_ms)
    except LLMFailed as e:
        b.fallback = str(e)
        return
    t1 = time.perf_counter()
    g = ground(_claims(b.raw, P.BRIEF_EXAMPLE[b.language]), units, engine.judge, b.language)
    b.timings_ms["check_ms"] = (time.perf_counter() - t1) * 1000
    b.dropped = g.dropped
    written = [KeyMessage(st.text, st.units, written=True) for st in g.statements][:high]
    if not written:
        b.fallback = (
            "the language model said the sources do not cover the topic"
            if g.declined
            else "no sentence the language model wrote is supported by the sources"
        )
        return
    cited = {u.id for m in written for u in m.units}
    extra = [m for m in b.messages if m.units[0].id not in cited][: max(0, MIN_MESSAGES - len(written))]
    b.messages, b.backend = written + extra, engine.backend


def _restate(engine, b: Briefing, units: list) -> Iterator[str]:
    """Deliverables quoted in another language than the note's, restated by the model in the note's
    language; a restatement is kept only where its deliverable supports it (else the quote stays)."""
    from ..answers import prompt as P
    from ..answers.generate import LLMFailed
    from ..answers.grounding import ground

    engine.seed_judge(engine.index.sentence_vectors([u.id for u in units]))
    timings: dict[str, float] = {}
    try:
        raw = yield from _generate(engine, lambda items: P.restate_messages(items, b.language), units, {}, timings)
    except LLMFailed:
        return  # the deliverables stay quoted
    b.timings_ms["restate_ms"] = timings.get("generate_ms", 0.0)
    g = ground(_claims(raw), units, engine.judge, b.language)
    b.dropped += g.dropped
    for st in g.statements:
        uid = st.units[0].id
        b.restated[uid] = f"{b.restated[uid]} {st.text}" if uid in b.restated else st.text


def _papers(engine, b: Briefing) -> list[tuple[str, list, bool]]:
    """The papers the key messages' footnotes cite, each with those footnotes and whether it is in the
    corpus (the footnotes' symbol links, made when the index was loaded)."""
    papers: dict[str, tuple[list, bool]] = {}
    for m in b.messages:
        for unit in m.units:
            for n in unit.footnotes:
                note = engine.index.by_id.get(f"{unit.doc}:fn{n}")
                for symbol, doc in note.links if note else ():
                    papers.setdefault(symbol, ([], doc is not None))[0].append(note)
    return [(sym, list({n.id: n for n in notes}.values()), present) for sym, (notes, present) in papers.items()]


def _sources_text(b: Briefing) -> str:
    """'GB.334/INS/3/1 (its title)' for each cited document, in the note's language where the manifest has it."""
    parts = []
    for d in b.sources:
        title = (d.title_en if b.language == "en" and d.title_en else d.title) or ""
        parts.append(f"{d.symbol}（{title}）" if b.language == "zh" else f"{d.symbol} ({title})")
    return ("、" if b.language == "zh" else "; ").join(parts) or b.symbol


def _provenance(b: Briefing) -> str:
    h = HEADINGS[b.language]
    if b.fallback:
        return h["fallback"].format(reason=b.fallback) + ("。" if b.language == "zh" else ".")
    if b.backend == "extractive":
        return ""
    line = h["written"].format(backend=b.backend)
    if b.dropped:
        line += h["removed"].format(n=len(b.dropped))
    if quoted := sum(not m.written for m in b.messages):
        line += h["topped_up"].format(n=quoted)
    if b.restated:
        line += h["restated"].format(n=len(b.restated))
    return line + ("。" if b.language == "zh" else ".")


def to_markdown(b: Briefing) -> str:
    h = HEADINGS[b.language]
    purpose = h["purpose_text"].format(topic=b.topic, sources=_sources_text(b))
    versions = {v[1] for u in b.cited if (v := u.version(b.language))}
    foreign = [d.language for d in b.sources if d.language != b.language and not versions]
    for provenance in sorted(versions):  # quoted from a language version: say which, and what is authoritative
        originals = {b.documents[u.doc].language for u in b.cited}
        purpose += " " + h["version"].format(note=provenance_note(provenance, min(originals)))
    if foreign:
        names = {LANGUAGE_NAMES.get(x, (x, x))[b.language == "zh"] for x in foreign}
        purpose += h["original"].format(language="/".join(sorted(names)))
    out = [f"# {h['title'].format(topic=b.topic)}", "", f"## {h['purpose']}", "", purpose, ""]
    if provenance := _provenance(b):
        out += [f"*{provenance}*", ""]
    out += [f"## {h['messages']}", ""]
    out += [f"- {m.text} " + " ".join(f"[{b.ref(u)}]" for u in m.units) for m in b.messages]
    out += ["", f"## {h['deliver']}", ""]
    out += [f"- {b.restated.get(u.id, text_in(u, b.language))} [{b.ref(u)}]" for u in b.deliverables] or [h["none"]]
    out += ["", f"## {h['papers']}", ""]
    for symbol, notes, present in b.papers:
        where = ", ".join(f"[{b.ref(n)}]" for n in notes)
        status = h["in_corpus"] if present else h["not_in_corpus"]
        out.append(f"- {symbol} ({status}; {h['cited_in']} {where})")
    if not b.papers:
        out.append(h["no_papers"])
    out += ["", f"## {h['annex']}", ""]
    for u in b.cited:
        out += [f"### {b.ref(u)} — {' › '.join(u.section)}", "", f"> {u.plain_text}", ""]
    return xml_safe("\n".join(out).rstrip() + "\n")


def markdown_to_docx(markdown: str, path: Path, source: str = "GB.334/INS/3/1") -> Path:
    """Render a briefing's Markdown (possibly edited by hand) as DOCX: headings as Word headings, bullets
    as list items, quotes in the Quote style, *a line* in italics, and each [label] citation as a
    superscript note number with the labels listed under "Notes" at the end (a label that names its
    document, "GB.335/INS/9 ¶3", is listed as it is; a bare one is `source`'s)."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    markdown, source = xml_safe(markdown), xml_safe(source)  # an edited note may hold anything: never fail on it
    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "WenQuanYi Micro Hei")
    notes: dict[str, int] = {}

    def add_text(par, text: str) -> None:
        for piece in re.split(r"(\[[^\[\]]{1,40}\])", text):
            if re.fullmatch(r"\[[^\[\]]{1,40}\]", piece):
                n = notes.setdefault(piece[1:-1], len(notes) + 1)
                run = par.add_run(str(n))
                run.font.superscript = True
            elif piece:
                par.add_run(piece)

    for line in markdown.splitlines():
        if not line.strip():
            continue
        if m := re.match(r"^(#{1,3})\s+(.*)", line):
            d.add_heading(m.group(2), level=len(m.group(1)) - 1 if len(m.group(1)) > 1 else 0)
        elif line.startswith("- "):
            add_text(d.add_paragraph(style="List Bullet"), line[2:])
        elif line.startswith("> "):
            add_text(d.add_paragraph(style="Quote"), line[2:])
        elif re.fullmatch(r"\*[^*].*[^*]\*", line.strip()):
            par = d.add_paragraph()
            add_text(par, line.strip()[1:-1])
            for run in par.runs:
                run.italic = True
        else:
            add_text(d.add_paragraph(), line)
    if notes:
        d.add_heading("注释" if markdown.startswith("# 简报") else "Notes", level=2)
        for label, n in notes.items():
            d.add_paragraph(f"{n}. {label}" if "/" in label else f"{n}. {source}, {label}")
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path
