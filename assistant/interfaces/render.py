"""HTML for the chat window: answers with clickable citations, the source panel, the whole document."""

from __future__ import annotations

import html
import re

from ..documents.parse import SUPERSCRIPTS, superscript_number
from ..documents.units import Unit

_LABEL = re.compile(r"\[([^\[\]]{1,40})\]")
_MARKERS = re.compile(f"[{SUPERSCRIPTS}]+")


def anchor(unit_id: str) -> str:
    """A DOM id for a unit (ids hold ':' and '.', which CSS selectors dislike)."""
    return "u-" + re.sub(r"[^A-Za-z0-9_-]", "_", unit_id)


def cite_link(unit_id: str, label: str) -> str:
    return (
        f'<a class="cite" href="#cite:{html.escape(unit_id)}" title="{html.escape(unit_id)}">{html.escape(label)}</a>'
    )


def answer_html(answer: dict, names: dict[str, str] | None = None) -> str:
    """The answer text, escaped, each [label] a link that opens the cited unit in the source panel;
    with `names` (document id → symbol, when the corpus has several) the link names its document."""
    ids: dict[str, list[dict]] = {}
    for c in [*answer.get("citations", []), *answer.get("related", [])]:
        ids.setdefault(c["label"], []).append(c)
    seen: dict[str, int] = {}

    def link(m: re.Match) -> str:
        label = html.unescape(m.group(1))
        cites = ids.get(label)
        if not cites or not cites[0].get("id"):
            return m.group(0)
        # The same label in two documents: the citations are listed in the order the answer cites them.
        c = cites[min(seen.get(label, 0), len(cites) - 1)]
        seen[label] = seen.get(label, 0) + 1
        text = f"{names.get(c.get('doc'), c.get('doc'))} {label}" if names else label
        # Brackets as entities: the chat renders Markdown, and "[link](2)" (a label before a list mark in a
        # written answer) would turn into a link to "2".
        return f"&#91;{cite_link(c['id'], text)}&#93;"

    body = _LABEL.sub(link, html.escape(answer.get("answer", ""), quote=False)).replace("\n", "<br>")
    return body + provenance_html(answer)


def provenance_html(answer: dict) -> str:
    """Who wrote a written answer and what the citation check removed; why a model's answer was not used."""
    notes = []
    if answer.get("mode") == "generated":
        g = answer.get("grounding") or {}
        dropped = len(g.get("dropped") or [])
        backend = answer.get("backend")
        if not answer.get("answered"):  # the check (or the model itself) turned the answer into a refusal
            notes.append(
                f"{backend} wrote {dropped} sentence(s), none supported by the sources"
                if dropped
                else f"{backend} found no answer in the sources"
            )
        else:
            note = f"Written by {backend}; citations checked against the sources"
            notes.append(note + (f", {dropped} unsupported sentence(s) removed" if dropped else ""))
    if answer.get("fallback"):
        notes.append(f"⚠ {answer['fallback']}")
    return "".join(f'<br><small class="provenance">{html.escape(n)}</small>' for n in notes)


def _with_footnote_links(text: str, doc: str, escape: bool = True, in_page: bool = False) -> str:
    """Superscript markers as links: to the source panel, or (in the document view) to the footnote."""
    text = html.escape(text, quote=False) if escape else text

    def sup(m: re.Match) -> str:
        n = superscript_number(m.group(0))
        if in_page:
            return f'<sup><a class="fnref" href="#{anchor(f"{doc}:fn{n}")}">{n}</a></sup>'
        return f'<sup><a class="cite fnref" href="#cite:{html.escape(doc)}:fn{n}">{n}</a></sup>'

    return _MARKERS.sub(sup, text)


def _highlight(text: str, sentences: list[str]) -> str:
    """The text escaped, each quoted sentence marked where it first stands. Spans are found in the plain
    text and marked in one pass: marking one after another could match inside an earlier <mark> tag."""
    spans: list[tuple[int, int]] = []
    for s in sorted({s.strip() for s in sentences if s.strip()}, key=len, reverse=True):
        start = text.find(s)
        while start >= 0 and any(a < start + len(s) and start < b for a, b in spans):
            start = text.find(s, start + 1)
        if start >= 0:
            spans.append((start, start + len(s)))
    out, at = [], 0
    for a, b in sorted(spans):
        out += [html.escape(text[at:a], quote=False), f"<mark>{html.escape(text[a:b], quote=False)}</mark>"]
        at = b
    return "".join(out) + html.escape(text[at:], quote=False)


def provenance_note(provenance: str, original: str) -> str:
    """How a language version is labelled wherever it is shown (English and Chinese)."""
    if provenance == "official":
        return "Official version / 正式文本"
    name = {"zh": ("Chinese", "中文"), "en": ("English", "英文")}.get(original, (original, original))
    return f"{provenance.capitalize()}; the {name[0]} original is authoritative / 机器翻译，以{name[1]}原文为准"


def source_html(
    unit: Unit, by_id: dict[str, Unit], quoted: list[str] | None = None, lang: str = "", original: str = ""
) -> str:
    """The source panel: label, section path, full text with the quoted sentences highlighted, the
    unit's footnotes, and for a footnote the paragraphs that cite it. With `lang`, a language version the
    answer quoted is shown first, labelled (official, or machine translation), with the original beside it."""
    version = unit.version(lang) if lang else None
    original_text = _with_footnote_links(_highlight(unit.text, [] if version else quoted or []), unit.doc, escape=False)
    parts = [
        f'<div class="source" id="source-{anchor(unit.id)}">',
        f'<h3 class="source-label">{html.escape(unit.label)} <small>{html.escape(unit.doc)}</small></h3>',
        f'<p class="source-section">{html.escape(" › ".join(unit.section))}</p>',
    ]
    if version:
        label = html.escape(provenance_note(version[1], original))
        parts += [
            '<div class="source-versions">',
            f'<div class="source-version" lang="{html.escape(lang)}"><p class="source-provenance">{label}</p>'
            f'<p class="source-text">{_highlight(version[0], quoted or [])}</p></div>',
            f'<div class="source-original"><p class="source-provenance">Original / 原文</p>'
            f'<p class="source-text">{original_text}</p></div>',
            "</div>",
        ]
    else:
        parts.append(f'<p class="source-text">{original_text}</p>')
    notes = [by_id[f"{unit.doc}:fn{n}"] for n in unit.footnotes if f"{unit.doc}:fn{n}" in by_id]
    if notes:
        parts.append('<div class="source-notes">')
        for n in notes:
            shown = n.version(lang)[0] if version and n.version(lang) else n.text
            parts.append(f"<p>{cite_link(n.id, n.label)} {html.escape(shown)}</p>")
        parts.append("</div>")
    if unit.cited_by:
        links = ", ".join(cite_link(c, by_id[c].label) for c in unit.cited_by if c in by_id)
        parts.append(f'<p class="source-citedby">Cited by / 引用处: {links}</p>')
    if unit.links:  # each cited paper: a link that opens it when it is in the corpus
        first = {}
        for u in by_id.values():
            first.setdefault(u.doc, u)
        items = [
            cite_link(first[doc].id, symbol)
            if doc in first
            else f"{html.escape(symbol)} (not in the corpus / 未收入语料库)"
            for symbol, doc in unit.links
        ]
        parts.append(f'<p class="source-symbols">{", ".join(items)}</p>')
    elif unit.symbols:
        parts.append(f'<p class="source-symbols">{html.escape(", ".join(unit.symbols))}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def neighbours(unit: Unit, units: list[Unit]) -> tuple[Unit | None, Unit | None]:
    """The previous and next units of the same document in reading order, footnotes skipped."""
    body = [u for u in units if u.doc == unit.doc and u.kind != "footnote"]
    if unit.kind == "footnote":
        return None, None
    i = next(i for i, u in enumerate(body) if u.id == unit.id)
    return (body[i - 1] if i > 0 else None), (body[i + 1] if i + 1 < len(body) else None)


def _mark_query(escaped: str, query: str) -> str:
    if not query:
        return escaped
    q = html.escape(query, quote=False)
    return re.sub(re.escape(q), lambda m: f"<mark>{m.group(0)}</mark>", escaped, flags=re.IGNORECASE)


def document_html(
    units: list[Unit], query: str = "", titles: dict[str, str] | None = None, lang: str = "", both: bool = False
) -> str:
    """The whole document: headings, paragraph numbers as anchors, footnote markers linked to their
    footnotes and footnotes linked back; with a query, only the matching units, matches marked.
    With `titles` (several documents), each document opens with its symbol and title. With `lang`, each unit
    in that language version where it has one (labelled), or with `both`, the version beside the original."""
    query = query.strip()

    def matches(u: Unit) -> bool:
        v = u.version(lang) if lang else None
        return query.lower() in u.text.lower() or bool(v and query.lower() in v[0].lower())

    shown = [u for u in units if not query or matches(u)]
    if query and not shown:
        return f'<p class="doc-empty">No match for “{html.escape(query)}” / 没有找到</p>'
    parts = ['<div class="document">']
    if query:
        parts.append(f'<p class="doc-count">{len(shown)} units match “{html.escape(query)}”</p>')
    provenances = sorted({v[1] for u in shown if lang and (v := u.version(lang))})
    for provenance in provenances:  # a version is labelled once, at the top
        parts.append(f'<p class="source-provenance">{html.escape(provenance_note(provenance, "zh"))}</p>')
    section: tuple[str, ...] = ()
    doc = None
    for u in shown:
        if titles and u.doc != doc:
            doc, section = u.doc, ()
            parts.append(f'<h2 class="doc-title" id="{anchor(doc)}">{html.escape(titles.get(doc, doc))}</h2>')
        if u.kind != "footnote" and u.section != section:
            for depth, head in enumerate(u.section):
                if depth >= len(section) or section[depth] != head:
                    parts.append(f"<h{min(depth + 2, 5)}>{html.escape(head)}</h{min(depth + 2, 5)}>")
            section = u.section
        body = _mark_query(html.escape(u.text, quote=False), query)
        body = _with_footnote_links(body, u.doc, escape=False, in_page=True)
        body = body.replace("\n", "<br>")
        if version := (u.version(lang) if lang else None):
            shown_version = _mark_query(html.escape(version[0], quote=False), query)
            if both:
                body = (
                    f'<span class="doc-pair"><span lang="{html.escape(lang)}">{shown_version}</span>'
                    f'<span class="doc-original">{body}</span></span>'
                )
            else:
                body = shown_version
        label = cite_link(u.id, u.label)
        if u.kind == "footnote":
            back = " ".join(f'<a href="#{anchor(c)}">↩</a>' for c in u.cited_by)
            parts.append(f'<p class="doc-footnote" id="{anchor(u.id)}">{label} {body} {back}</p>')
        else:
            parts.append(f'<p class="doc-{u.kind}" id="{anchor(u.id)}"><b>{label}</b> {body}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _languages(row: dict) -> str:
    """zh (original) · en (machine translation by MODEL) · fr (official)."""
    parts = []
    for v in row["languages"]:
        what = "original" if v["provenance"] == "original" else ("official" if v["official"] else v["provenance"])
        parts.append(f"{html.escape(v['lang'])} <small>({html.escape(what)})</small>")
    return " · ".join(parts)


def documents_html(rows: list[dict], problem: str | None = None) -> str:
    """The Documents tab's table: one row per document of the corpus, with its state in the index."""
    if not rows:
        return "<p class='doc-empty'>The corpus is empty: upload a paper below.</p>"
    head = "".join(
        f"<th>{h}</th>" for h in ("Document", "Symbol", "Title", "Languages", "Units", "Date", "Added", "Index")
    )
    body = []
    for r in rows:
        state = "indexed" if r["indexed"] else "<b>not indexed</b>"
        lock = " <span title='protected: cannot be removed here'>🔒</span>" if r.get("protected") else ""
        cells = (
            f"{html.escape(r['id'])}{lock}",
            html.escape(r["symbol"] or "—"),
            html.escape(r["title"]),
            _languages(r),
            str(r["units"]) if r["units"] is not None else "—",
            html.escape(r["date"] or "—"),
            html.escape((r.get("added") or "shipped").replace("T", " ").rstrip("Z")),
            state,
        )
        body.append(f"<tr data-doc='{html.escape(r['id'])}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    note = f"<p class='doc-warning'>⚠ {html.escape(problem)}</p>" if problem else ""
    return f"{note}<table class='doc-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def preview_html(found: dict) -> str:
    """An upload's parse preview: what document it becomes, its warnings, then its units (label, kind, start)."""
    kinds: dict[str, int] = {}
    for u in found["units"]:
        kinds[u["kind"]] = kinds.get(u["kind"], 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in kinds.items())
    head = (
        f"<p class='preview-head'><b>{html.escape(found['id'])}</b> ({html.escape(found['symbol'] or 'no symbol')}, "
        f"{html.escape(found['language'])}): {html.escape(found['title'])} — {len(found['units'])} units ({counts})</p>"
    )
    if found["warnings"]:
        items = "".join(f"<li>⚠ {html.escape(w)}</li>" for w in found["warnings"])
        warnings = (
            f"<div class='preview-warnings'><p><b>{len(found['warnings'])} warning(s)</b>: check the paper before "
            f"adding it.</p><ul>{items}</ul></div>"
        )
    else:
        warnings = "<p class='preview-ok'>No warnings: the numbering and footnotes are consistent.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(u['label'])}</td><td>{html.escape(u['kind'])}</td><td>{html.escape(u['start'])}</td></tr>"
        for u in found["units"]
    )
    table = f"<div class='preview-units'><table><tbody>{rows}</tbody></table></div>"
    return head + warnings + table
