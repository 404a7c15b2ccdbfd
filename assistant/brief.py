"""Briefing notes for UN Resident Coordinators: a structured, cited note on a topic, built extractively.

Title, purpose, key messages (3–7 bullets, each citing its paragraph), what the ILO will deliver in
2019 on the topic, the Governing Body papers to read next (from the footnotes of the cited units), and
an annex quoting every cited unit in full. Markdown is the editable form; `to_docx` renders it with
real headings and footnote-style numbered citations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .answer import language_of
from .engine import validate

MIN_MESSAGES, MAX_MESSAGES = 3, 7


class NoMaterial(ValueError):
    """The documents hold nothing close enough to the topic to brief on."""


@dataclass
class Briefing:
    topic: str
    language: str
    messages: list[tuple[str, object]] = field(default_factory=list)  # (sentence, unit)
    deliverables: list[object] = field(default_factory=list)
    papers: list[tuple[str, list[object], bool]] = field(default_factory=list)  # (symbol, footnotes, in corpus)
    symbol: str = ""

    @property
    def cited(self) -> list:
        units = {u.id: u for _, u in self.messages}
        units.update({u.id: u for u in self.deliverables})
        return sorted(units.values(), key=lambda u: u.order)


HEADINGS = {
    "en": {
        "title": "Briefing note: {topic}",
        "purpose": "Purpose",
        "messages": "Key messages",
        "deliver": "What the ILO will deliver in 2019",
        "papers": "Governing Body papers to read next",
        "annex": "Annex: cited texts",
        "none": "No 2019 deliverable addresses this topic directly.",
        "purpose_text": "Background for UN Resident Coordinators on “{topic}”, drawn from {symbol}, the plan of "
        "action (2019) for the ILO Development Cooperation Strategy 2020–25. Quotations are from "
        "the Chinese text; every point cites its paragraph.",
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
        "purpose_text": "供联合国驻地协调员参考的“{topic}”背景材料，依据 {symbol}（国际劳工组织 2020-25 年发展合作战略"
        "2019 年行动计划）。每一要点均注明所引段落。",
        "in_corpus": "已收入语料库",
        "not_in_corpus": "未收入语料库",
        "cited_in": "引用于",
    },
}


def build_briefing(engine, topic: str, language: str | None = None, max_messages: int = 5) -> Briefing:
    """Gather the units relevant to the topic and arrange them as a briefing note."""
    topic = validate(topic, engine.settings.max_question_chars)
    lang = language or language_of(topic)
    s = engine.settings
    # A bare topic is phrased as a question: the refusal thresholds were calibrated on questions.
    asked = language_of(topic)
    query = f"关于{topic}，文件说了什么？" if asked == "zh" else f"What does the paper say about {topic}?"
    r = engine.retriever.retrieve(query, k=max(15, max_messages * 3))
    threshold = s.refusal_threshold_zh if asked == "zh" else s.refusal_threshold_en
    if r.top_dense < threshold:
        raise NoMaterial(f"{engine.symbol} has nothing close enough to “{topic}” to brief on")
    relevant = [h for h in r.hits if h.dense >= r.top_dense - 1.5 * s.answer_window]
    prose = [h.unit for h in relevant if h.unit.kind in ("paragraph", "decision", "purpose")]
    if len(prose) < MIN_MESSAGES:  # a narrow topic: take the best prose units even if further away
        prose += [h.unit for h in r.hits if h.unit.kind in ("paragraph", "purpose") and h.unit not in prose]
    prose = prose[: max(MIN_MESSAGES, min(max_messages, MAX_MESSAGES)) + 2]
    sentences = engine.index.sentence_vectors([u.id for u in prose])
    best: dict[str, tuple[float, str]] = {}
    for sent, vec in sentences:
        score = float(vec @ r.query_vec)
        if sent["unit"] not in best or score > best[sent["unit"]][0]:
            best[sent["unit"]] = (score, sent["text"])
    # Keep the messages whose best sentence is near the best one (at least MIN_MESSAGES), in reading order.
    ranked = sorted((u for u in prose if u.id in best), key=lambda u: -best[u.id][0])
    top = best[ranked[0].id][0] if ranked else 0.0
    kept = [u for i, u in enumerate(ranked) if i < MIN_MESSAGES or best[u.id][0] >= top - s.answer_window]
    messages = [(best[u.id][1], u) for u in sorted(kept, key=lambda u: u.order)]
    deliverables = sorted((h.unit for h in relevant if h.unit.kind == "deliverable"), key=lambda u: u.order)

    corpus_symbols = {d.symbol for d in engine.index.documents}
    papers: dict[str, list] = {}
    for _, unit in messages:
        for n in unit.footnotes:
            note = engine.index.by_id.get(f"{unit.doc}:fn{n}")
            for symbol in note.symbols if note else ():
                papers.setdefault(symbol, []).append(note)
    return Briefing(
        topic=topic,
        language=lang,
        messages=messages,
        deliverables=deliverables,
        symbol=engine.symbol,
        papers=[(sym, list({n.id: n for n in notes}.values()), sym in corpus_symbols) for sym, notes in papers.items()],
    )


def to_markdown(b: Briefing) -> str:
    h = HEADINGS[b.language]
    out = [
        f"# {h['title'].format(topic=b.topic)}",
        "",
        f"## {h['purpose']}",
        "",
        h["purpose_text"].format(topic=b.topic, symbol=b.symbol),
        "",
        f"## {h['messages']}",
        "",
    ]
    out += [f"- {text} [{unit.label}]" for text, unit in b.messages]
    out += ["", f"## {h['deliver']}", ""]
    out += [f"- {u.plain_text} [{u.label}]" for u in b.deliverables] or [h["none"]]
    out += ["", f"## {h['papers']}", ""]
    for symbol, notes, present in b.papers:
        where = ", ".join(f"[{n.label}]" for n in notes)
        status = h["in_corpus"] if present else h["not_in_corpus"]
        out.append(f"- {symbol} ({status}; {h['cited_in']} {where})")
    out += ["", f"## {h['annex']}", ""]
    for u in b.cited:
        out += [f"### {u.label} — {' › '.join(u.section)}", "", f"> {u.plain_text}", ""]
    return "\n".join(out).rstrip() + "\n"


def markdown_to_docx(markdown: str, path: Path, source: str = "GB.334/INS/3/1") -> Path:
    """Render a briefing's Markdown (possibly edited by hand) as DOCX: headings as Word headings, bullets
    as list items, quotes in the Quote style, and each [label] citation as a superscript note number
    with the labels listed under "Notes" at the end."""
    import re

    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

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
        else:
            add_text(d.add_paragraph(), line)
    if notes:
        d.add_heading("Notes", level=2)
        for label, n in notes.items():
            d.add_paragraph(f"{n}. {source}, {label}")
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path
