"""The chat window: a Gradio app over the shared engine.  `python ui.py [--host H] [--port P]`

Binds to 127.0.0.1 (or ILO_UI_HOST/ILO_UI_PORT, else GRADIO_SERVER_NAME/GRADIO_SERVER_PORT; the options
win). Another address needs ILO_UI_USERNAME and ILO_UI_PASSWORD. No analytics, no share link.
"""

import argparse
import html
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.engine import EngineHolder  # noqa: E402 - after the environment above; re-exported for tests

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

TEXT = {
    "en": {
        "title": "ILO document assistant — GB.334/INS/3/1",
        "subtitle": "Ask in English or Chinese about the plan of action (2019) for the ILO Development Cooperation "
        "Strategy 2020–25. Every answer cites paragraphs: click a label to read the source.",
        "chat": "Chat",
        "document": "Document",
        "documents": "Documents",
        "settings": "Settings",
        "ask": "Ask a question (English or 中文)…",
        "send": "Ask",
        "new": "New conversation",
        "empty": "No conversation yet. Try one of the examples, or ask about a paragraph: "
        "“What does paragraph 12 say?”",
        "source": "Source",
        "source_empty": "Click a citation such as ¶12 to read its source here.",
        "prev": "← previous",
        "next": "next →",
        "comment": "Comment on your last rating (optional)",
        "send_comment": "Save comment",
        "export_md": "Export Markdown",
        "export_docx": "Export DOCX",
        "search": "Search the document",
        "doc_view": "Language",
        "mode": "Answer mode",
        "retrieval": "Retrieval",
        "sources": "Number of sources retrieved",
        "brief": "Briefing note",
        "topic": "Topic of the note (e.g. South-South cooperation, 透明度)",
        "make_brief": "Draft the note",
        "editor": "The note (Markdown; edit before exporting)",
        "doc": "Ask about",
        "all_docs": "All documents",
    },
    "zh": {
        "title": "国际劳工组织文件助手 — GB.334/INS/3/1",
        "subtitle": "用中文或英文询问《国际劳工组织 2020-25 年发展合作战略》2019 年行动计划。"
        "每个回答都引用段落：点击编号即可查看原文。",
        "chat": "对话",
        "document": "文件",
        "documents": "文件管理",
        "settings": "设置",
        "ask": "请输入问题（中文或 English）…",
        "send": "提问",
        "new": "新对话",
        "empty": "尚无对话。可以试试下面的示例，或直接询问某一段：“第 12 段说了什么？”",
        "source": "原文",
        "source_empty": "点击回答中的引用（如 ¶12）在此查看原文。",
        "prev": "← 上一段",
        "next": "下一段 →",
        "comment": "对上一次评价补充意见（可选）",
        "send_comment": "保存意见",
        "export_md": "导出 Markdown",
        "export_docx": "导出 DOCX",
        "search": "在文件中搜索",
        "doc_view": "语言",
        "mode": "回答方式",
        "retrieval": "检索方式",
        "sources": "检索的来源数量",
        "brief": "简报",
        "topic": "简报主题（例如：南南合作、transparency）",
        "make_brief": "起草简报",
        "editor": "简报内容（Markdown，可在导出前修改）",
        "doc": "提问范围",
        "all_docs": "全部文件",
    },
}

EXAMPLES = [
    "国际劳工组织的附加值体现在哪里？",
    "Which 2019 deliverable concerns South-South cooperation?",
    "第12段说了什么？",
    "Which Governing Body paper is cited for the evaluation strategy?",
]

CSS = """
.hidden-input { display: none !important; }
a.cite { font-weight: 600; text-decoration: none; color: #1d4ed8; cursor: pointer; }
.source mark, .document mark { background: #fde68a; }
.source-section { color: #555; font-size: 0.9em; }
.source-notes p, .doc-footnote { font-size: 0.9em; color: #333; }
.document { max-height: 70vh; overflow-y: auto; }
.source-versions { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8em; }
.doc-pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8em; }
.doc-original { color: #444; }
.source-provenance { font-size: 0.8em; color: #92400e; font-weight: 600; }
.doc-table { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.doc-table td, .doc-table th { border-bottom: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left; }
.preview-warnings { background: #fef3c7; padding: 0.3em 0.8em; border-radius: 4px; }
.preview-error, .doc-warning { color: #b91c1c; font-weight: 600; }
.preview-units { max-height: 40vh; overflow-y: auto; font-size: 0.9em; }
"""

# Citation links in answers, the source panel and the document view carry "#cite:<unit id>"; a click
# hands the id to a hidden textbox whose input event opens that unit in the source panel.
JS = """
() => {
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a.cite');
    if (!a) return;
    const href = a.getAttribute('href') || '';
    if (!href.startsWith('#cite:')) return;
    e.preventDefault(); e.stopPropagation();
    const box = document.querySelector('#cite-target textarea, #cite-target input');
    if (!box) return;
    box.value = href.slice(6) + '|' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    box.dispatchEvent(new Event('change', {bubbles: true}));
  }, true);
}
"""


# Shown under a written answer while it streams: the final text keeps only sentences its sources support.
CHECKING = "draft — citations are checked when the answer is complete"


def friendly_error(e: Exception) -> str:
    """A message for the chat, never a stack trace."""
    from assistant.documents.corpus import CorpusError
    from assistant.engine import InvalidQuestion
    from assistant.models.weights import ModelMissing
    from assistant.search.index import IndexError_

    if isinstance(e, InvalidQuestion):
        return f"⚠️ {str(e)[0].upper()}{str(e)[1:]}."
    if isinstance(e, IndexError_ | ModelMissing | CorpusError):
        return f"⚠️ The assistant is not ready: {e}"
    if isinstance(e, ValueError) and str(e):  # a bad value: the message says which
        return f"⚠️ The question was not answered: {e}. Check the settings tab, or start a new conversation."
    return (
        "⚠️ The question was not answered because of an internal error. Try again, or rephrase it; if it keeps "
        "happening, run `python -m assistant doctor` to check the installation."
    )


def engine_history(turns: list[dict]) -> list[dict]:
    out = []
    for t in turns:
        out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
    return out


def corpus_links(docs, units):
    """Units with their symbols linked to the corpus documents that have them."""
    from assistant.documents.units import link_symbols

    return link_symbols(units, {d.symbol: d.id for d in docs if d.symbol})


def doc_titles(docs) -> dict | None:
    """Headings for the document view when it shows several documents."""
    return {d.id: f"{d.symbol or d.id} — {d.title}" for d in docs} if len(docs) > 1 else None


@dataclass
class Page:
    """What every part of the page shares: the settings, the engine, the corpus and the exports' folder."""

    settings: object
    holder: EngineHolder
    docs: list
    units: list
    modes: list[tuple[str, str]]  # answer modes a reader can pick: (label, value)
    feedback: object
    export_dir: Path
    i18n: object

    @property
    def by_id(self) -> dict:
        return {u.id: u for u in self.units}

    @property
    def names(self) -> dict | None:
        """Document names for citations, only when there are several documents."""
        return {d.id: d.symbol or d.id for d in self.docs} if len(self.docs) > 1 else None

    @property
    def default_mode(self) -> str:
        return self.modes[0][1]

    def reload(self) -> None:
        """Read the corpus again (a document added or removed in the Documents tab): the source panel, the
        citation names, and the document view and the settings' selector when their tab is next opened follow it."""
        from assistant.documents.corpus import load_corpus

        docs, units = load_corpus(self.settings.corpus_dir)
        self.docs, self.units = docs, corpus_links(docs, units)


def load_page(settings, holder: EngineHolder | None = None) -> Page:
    """The corpus and settings the page is built from; no model is loaded (the document view needs none).
    `holder`: the engine to share with the rest of the process (`python -m assistant serve`)."""
    import gradio as gr

    from assistant.documents.corpus import load_corpus
    from assistant.interfaces.feedback import FeedbackStore
    from assistant.models.llm import backend_name

    backend = backend_name(settings)
    modes = [("quoted (extractive)", "extractive")]
    if backend != "extractive":
        modes.insert(0, (f"written by {backend}, citations checked", "written"))
    docs, units = load_corpus(settings.corpus_dir)
    return Page(
        settings=settings,
        holder=holder or EngineHolder(settings),
        docs=docs,
        units=corpus_links(docs, units),
        modes=modes,
        feedback=FeedbackStore(settings.index_dir / "feedback.sqlite"),
        export_dir=Path(tempfile.mkdtemp(prefix="ilo-export-")),
        i18n=gr.I18n(**TEXT),
    )


def chat_part(page: Page, turns, prefs, doc_pref, target) -> None:
    """The conversation: question box, streamed answers, ratings and comments, exports, new conversation.
    An answer hands its first citation to `target`, which opens it in the source panel."""
    import gradio as gr

    from assistant.interfaces import render
    from assistant.interfaces.export import conversation_markdown, write_docx

    i18n, settings = page.i18n, page.settings

    def ask(question, chat, turns, prefs, doc=""):
        chat, turns = list(chat or []), list(turns or [])
        question = question or ""
        chat.append({"role": "user", "content": question or "…"})
        box = ""  # the question box is emptied once, when the question is taken: what the reader types next stays
        try:
            from assistant.engine import validate

            q = validate(question, settings.max_question_chars)
            yield box, chat + [{"role": "assistant", "content": "…"}], turns, gr.skip(), gr.skip(), gr.skip()
            box = gr.skip()
            events = page.holder.get().ask_stream(
                q,
                engine_history(turns),
                retrieval=prefs.get("retrieval", "hybrid"),
                top_k=int(prefs.get("top_k", settings.top_k)),
                doc=doc or None,
                write=prefs.get("mode", page.default_mode) == "written",
            )
            draft = ""
            for event in events:
                if isinstance(event, str):  # a written answer's words as the model writes them
                    draft += event
                    shown = f"{html.escape(draft)} ▌<br><small>{CHECKING}</small>"
                    yield box, chat + [{"role": "assistant", "content": shown}], turns, gr.skip(), gr.skip(), gr.skip()
                else:
                    a = event.to_dict()
            done = turns + [{"question": q, "answer": a}]
            files = exports(done)  # inside the error handling: an export never costs the answer its message
        except Exception as e:  # noqa: BLE001 - every failure becomes a message; the app keeps working
            chat.append({"role": "assistant", "content": friendly_error(e)})
            yield box, chat, turns, gr.skip(), gr.skip(), gr.skip()
            return
        turns = done
        # The build the answer came from, for tools that check answers against builds (eval/load.py).
        build = f'<span class="build" data-build="{html.escape(str(a.get("build") or ""))}" hidden></span>'
        chat.append({"role": "assistant", "content": render.answer_html(a, page.names) + build})
        # Open the first cited unit in the source panel, through the same path as a click.
        # A refusal of what the paper only touches on opens the passage that comes closest, so it can be checked.
        shown = a["citations"] or a.get("related") or []
        first = f"{shown[0]['id']}|{len(turns)}" if shown else gr.skip()
        yield box, chat, turns, first, *files

    def exports(turns):
        stem = page.export_dir / f"conversation-{id(turns)}-{len(turns)}"
        md = stem.with_suffix(".md")
        md.write_text(conversation_markdown(turns), encoding="utf-8")
        docx = write_docx(turns, stem.with_suffix(".docx"))
        return gr.update(value=str(md)), gr.update(value=str(docx))

    def rate(turns, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turn = (turns or [])[index // 2] if index // 2 < len(turns or []) else None
        if turn is None:
            return None, "⚠️ Nothing to rate."
        rating = "up" if data.liked is True or data.liked == "Like" else "down"
        fid = page.feedback.add(turn["answer"], rating)
        return fid, f"Thank you: feedback #{fid} saved ({'👍' if rating == 'up' else '👎'})."

    def pick_example(data: gr.SelectData) -> str:  # typed, so Gradio passes the event data to it
        return data.value["text"]

    def comment(fid, text):
        if fid is None:
            return "⚠️ Rate an answer first (👍 / 👎), then add a comment."
        page.feedback.set_comment(int(fid), text or "")
        return f"Comment saved with feedback #{fid}."

    last_feedback = gr.State(None)
    chat = gr.Chatbot(
        height=520,
        elem_id="chat",
        placeholder=i18n("empty"),
        examples=[{"text": q} for q in EXAMPLES],
        feedback_options=("Like", "Dislike"),
    )
    with gr.Row():
        box = gr.Textbox(placeholder=i18n("ask"), show_label=False, scale=8, elem_id="question", max_lines=6)
        send = gr.Button(i18n("send"), variant="primary", scale=1, elem_id="send")
    with gr.Row():
        note = gr.Textbox(label=i18n("comment"), scale=6, elem_id="comment")
        save_note = gr.Button(i18n("send_comment"), scale=1, elem_id="save-comment")
    status = gr.Markdown(elem_id="status")
    with gr.Row():
        new = gr.Button(i18n("new"), elem_id="new")
        export_md = gr.DownloadButton(i18n("export_md"), elem_id="export-md")
        export_docx = gr.DownloadButton(i18n("export_docx"), elem_id="export-docx")

    outputs = [box, chat, turns, target, export_md, export_docx]
    box.submit(ask, [box, chat, turns, prefs, doc_pref], outputs)
    send.click(ask, [box, chat, turns, prefs, doc_pref], outputs)
    chat.example_select(pick_example, None, box)
    new.click(lambda: ([], [], ""), None, [chat, turns, status])
    chat.like(rate, [turns], [last_feedback, status])
    save_note.click(comment, [last_feedback, note], status)


def source_part(page: Page, turns, target) -> None:
    """The source panel: the cited unit with the sentences the answers quoted marked, and ← / → to its
    neighbours. Opened by `target` (a citation click, or an answer's first citation)."""
    import gradio as gr

    from assistant.interfaces import render

    def show_source(target, turns):
        by_id, units = page.by_id, page.units  # read now: a document added in the Documents tab is there too
        uid = (target or "").split("|")[0]
        if uid not in by_id:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        cited = [c for t in reversed(turns or []) for c in t["answer"]["citations"] if c.get("id") == uid]
        cited = cited or [r for t in reversed(turns or []) for r in t["answer"].get("related", []) if r["id"] == uid]
        quoted = [s for c in cited for s in c.get("quote", [])]
        # The language the answer quoted the unit in (a language version), shown with the original beside it.
        lang = cited[0].get("language", "") if cited else ""
        original = (cited[0].get("official") or [""])[0] if cited else ""
        prev, nxt = render.neighbours(by_id[uid], units)
        return (
            render.source_html(by_id[uid], by_id, quoted, lang, original),
            uid,
            gr.update(value=f"← {prev.label}" if prev else "←", interactive=prev is not None),
            gr.update(value=f"{nxt.label} →" if nxt else "→", interactive=nxt is not None),
        )

    def step(current, turns, direction):
        by_id = page.by_id
        if current not in by_id:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        prev, nxt = render.neighbours(by_id[current], page.units)
        moved_to = prev if direction < 0 else nxt
        return show_source(moved_to.id, turns) if moved_to else (gr.skip(),) * 4

    current = gr.State(None)
    gr.Markdown(f"### {TEXT['en']['source']} / {TEXT['zh']['source']}")
    source = gr.HTML(
        f"<p class='source-empty'>{TEXT['en']['source_empty']}<br>{TEXT['zh']['source_empty']}</p>",
        elem_id="source-panel",
    )
    with gr.Row():
        prev_btn = gr.Button("←", elem_id="prev", interactive=False)
        next_btn = gr.Button("→", elem_id="next", interactive=False)
    target.render()

    panel = [source, current, prev_btn, next_btn]
    target.change(show_source, [target, turns], panel)
    prev_btn.click(lambda c, t: step(c, t, -1), [current, turns], panel)
    next_btn.click(lambda c, t: step(c, t, 1), [current, turns], panel)


def document_part(page: Page, tab) -> None:
    """The document view: every unit in reading order, with a search box that marks its matches."""
    import gradio as gr

    from assistant.interfaces import render

    titles = doc_titles(page.docs)
    languages = sorted({lang for u in page.units for lang, _, _ in u.versions})
    # The original, a language version (labelled), or both side by side, paragraph by paragraph.
    views = (
        [("original", "")]
        + [(lang, lang) for lang in languages]
        + [(f"{lang} + original", f"{lang}+") for lang in languages]
    )

    def show(query, view):  # the corpus as it is now: the Documents tab may have changed it
        return render.document_html(
            page.units,
            query or "",
            doc_titles(page.docs),
            lang=(view or "").rstrip("+"),
            both=(view or "").endswith("+"),
        )

    with gr.Row():
        search = gr.Textbox(label=page.i18n("search"), elem_id="doc-search", scale=4)
        view = gr.Radio(
            views, value="", label=page.i18n("doc_view"), elem_id="doc-view", scale=2, visible=bool(languages)
        )
    document = gr.HTML(render.document_html(page.units, titles=titles), elem_id="document")
    search.change(show, [search, view], document)
    view.change(show, [search, view], document)
    tab.select(show, [search, view], document)


def documents_part(page: Page, demo) -> None:
    """The Documents tab: the corpus (symbol, languages, units, date added, indexed or not); a file uploaded is
    parsed and previewed with its warnings, then added with a progress bar while the chat keeps answering;
    a document is removed after a confirmation. The same operations as /v1/documents (interfaces/library.py)."""
    import gradio as gr

    from assistant.interfaces import library as L
    from assistant.interfaces import render

    settings = page.settings

    def listing():
        rows, problem = L.list_documents(settings)
        ids = [r["id"] for r in rows]
        return (
            render.documents_html(rows, problem),
            gr.update(choices=ids, value=None),
            gr.update(choices=[("", "")] + [(r["symbol"] or r["id"], r["id"]) for r in rows], value=""),
        )

    def check(path, symbol, lang, version_of):
        if not path:
            return "", gr.update(interactive=False)
        try:  # a copy under the checked name: the file name can give the symbol
            with L.uploaded(settings, Path(path).name, source=Path(path)) as copy:
                found = L.preview(L.prepare(settings, copy, symbol, lang))
        except L.Refused as e:
            return f"<p class='preview-error'>⚠ {html.escape(str(e))}</p>", gr.update(interactive=False)
        note = (
            f"<p>Will be added as the official version of <b>{html.escape(version_of)}</b>.</p>" if version_of else ""
        )
        return note + render.preview_html(found), gr.update(interactive=True)

    def add(path, symbol, lang, version_of, progress=gr.Progress()):  # noqa: B008 - Gradio's way to ask for a bar
        if not path:
            return "⚠️ Upload a file first.", *listing(), gr.skip()
        progress(0, desc="reading the file")

        def embedding(done, total):
            progress(done / total if total else 1.0, desc=f"embedding {done:,} of {total:,} texts")

        try:
            with L.uploaded(settings, Path(path).name, source=Path(path)) as copy:
                if version_of:
                    r = L.add_version(settings, copy, version_of, lang or None, on_progress=embedding)
                else:
                    r = L.ingest(settings, L.prepare(settings, copy, symbol, lang), on_progress=embedding)
        except L.Refused as e:
            return f"⚠️ Nothing was added: {e}", *listing(), gr.skip()
        except Exception as e:  # noqa: BLE001 - a message, and the app keeps working; the details to its log
            traceback.print_exception(e, file=sys.stderr)
            return friendly_error(e), *listing(), gr.skip()
        if version_of:
            message = f"✅ Added the official {r['version']} version of {r['id']} ({r['units']} units aligned)."
        else:
            verb = "Replaced" if r["replaced"] else "Added"
            message = f"✅ {verb} {r['id']} ({r['symbol'] or 'no symbol'}, {r['language']}, {r['units']} units)."
        page.reload()
        message += f" Index build {r['build']}, {r['seconds']:.0f} s: questions are answered from it now."
        return message, *listing(), gr.update(interactive=False)

    def ask_to_remove(doc_id):
        if not doc_id:
            return "⚠️ Choose a document to remove.", gr.update(visible=False), ""
        if doc_id in settings.protected_documents:
            return (
                f"🔒 {doc_id} is protected and cannot be removed here (ILO_PROTECTED_DOCUMENTS).",
                gr.update(visible=False),
                "",
            )
        question = f"Remove **{doc_id}** from the corpus and the index? Answers will no longer cite it."
        return "", gr.update(visible=True), question

    def remove(doc_id, progress=gr.Progress()):  # noqa: B008
        progress(0, desc=f"removing {doc_id}")
        try:
            r = L.remove(settings, doc_id)
        except L.Refused as e:
            return f"⚠️ {e}", gr.update(visible=False), *listing()
        except Exception as e:  # noqa: BLE001
            traceback.print_exception(e, file=sys.stderr)
            return friendly_error(e), gr.update(visible=False), *listing()
        page.reload()
        return (
            f"🗑 Removed {doc_id}; index build {r['build']} ({r['units']} units).",
            gr.update(visible=False),
            *listing(),
        )

    gr.Markdown("### Documents in the corpus")
    table = gr.HTML(elem_id="doc-table")
    gr.Markdown(
        f"### Add a document\n{', '.join(settings.upload_types)}, up to {settings.max_document_mb:g} MB. "
        "The file is checked first: its units and any warnings are shown before it is added."
    )
    with gr.Row():
        upload = gr.File(
            label="File", file_types=list(settings.upload_types), type="filepath", elem_id="doc-upload", scale=3
        )
        with gr.Column(scale=2):
            symbol = gr.Textbox(label="Symbol (optional, e.g. GB.332/PFA/8)", elem_id="doc-symbol")
            lang = gr.Textbox(label="Language (optional: zh, en, fr…)", elem_id="doc-lang")
            version_of = gr.Dropdown(
                [("", "")], value="", label="Official language version of", elem_id="doc-version-of"
            )
    with gr.Row():
        recheck = gr.Button("Check again", elem_id="doc-check", scale=1)
        add_btn = gr.Button("Add to the corpus", variant="primary", interactive=False, elem_id="doc-add", scale=2)
    status = gr.Markdown(elem_id="doc-status")
    preview = gr.HTML(elem_id="doc-preview")
    gr.Markdown("### Remove a document")
    with gr.Row():
        doc_choice = gr.Dropdown([], label="Document", elem_id="doc-remove-choice", scale=3)
        remove_btn = gr.Button("Remove…", variant="stop", elem_id="doc-remove", scale=1)
    with gr.Row(visible=False) as confirm:
        question = gr.Markdown(elem_id="doc-remove-question")
        yes = gr.Button("Yes, remove it", variant="stop", elem_id="doc-remove-yes")
        no = gr.Button("Cancel", elem_id="doc-remove-no")

    inputs = [upload, symbol, lang, version_of]
    upload.upload(check, inputs, [preview, add_btn])
    upload.clear(lambda: ("", gr.update(interactive=False)), None, [preview, add_btn])
    recheck.click(check, inputs, [preview, add_btn])
    # Writers queue one behind the other (the index has one writer at a time); questions are not behind them.
    writers = {"concurrency_limit": 1, "concurrency_id": "documents"}
    add_btn.click(add, inputs, [status, table, doc_choice, version_of, add_btn], **writers)
    remove_btn.click(ask_to_remove, doc_choice, [status, confirm, question])
    no.click(lambda: gr.update(visible=False), None, confirm)
    yes.click(remove, doc_choice, [status, confirm, table, doc_choice, version_of], **writers)
    demo.load(listing, None, [table, doc_choice, version_of])


def briefing_part(page: Page, prefs, doc_pref) -> None:
    """The Briefing tab: a topic → a cited note in an editor, exported as Markdown and DOCX. A configured
    model's draft of the key messages streams into the status line, then the checked note fills the editor."""
    import gradio as gr

    i18n = page.i18n

    def draft_brief(topic, lang_choice, prefs, doc=""):
        from assistant.interfaces.brief import Briefing, NoMaterial, build_briefing_stream, to_markdown

        engine = page.holder.get()
        lang = None if lang_choice == "auto" else lang_choice
        draft = ""
        try:
            write = (prefs or {}).get("mode", page.default_mode) == "written"
            for event in build_briefing_stream(engine, topic or "", language=lang, write=write, doc=doc or None):
                if isinstance(event, Briefing):
                    md = to_markdown(event)
                    yield md, *brief_files(md), ""
                else:
                    draft += event
                    note = f"✍️ {engine.backend} — draft, its citations are checked when it is done:\n\n{draft}"
                    yield gr.skip(), gr.skip(), gr.skip(), note
        except NoMaterial as e:
            yield f"⚠️ {e}.", gr.skip(), gr.skip(), ""
        except Exception as e:  # noqa: BLE001 - shown in the editor; the app keeps working
            yield friendly_error(e), gr.skip(), gr.skip(), ""

    def brief_files(markdown):
        from assistant.documents.text import xml_safe
        from assistant.interfaces.brief import markdown_to_docx

        markdown = xml_safe(markdown or "")  # an edited note may hold anything; the files never fail on it
        stem = page.export_dir / f"briefing-{abs(hash(markdown))}"
        stem.with_suffix(".md").write_text(markdown, encoding="utf-8")
        markdown_to_docx(markdown or "", stem.with_suffix(".docx"))
        return gr.update(value=str(stem.with_suffix(".md"))), gr.update(value=str(stem.with_suffix(".docx")))

    with gr.Row():
        topic = gr.Textbox(label=i18n("topic"), scale=5, elem_id="brief-topic")
        brief_lang = gr.Radio(["auto", "en", "zh"], value="auto", show_label=False, scale=2, elem_id="brief-lang")
        make_brief = gr.Button(i18n("make_brief"), variant="primary", scale=1, elem_id="make-brief")
    brief_status = gr.Markdown(elem_id="brief-status")
    editor = gr.Textbox(label=i18n("editor"), lines=24, max_lines=60, elem_id="brief-editor")
    with gr.Row():
        brief_md = gr.DownloadButton(i18n("export_md"), elem_id="brief-md")
        brief_docx = gr.DownloadButton(i18n("export_docx"), elem_id="brief-docx")

    brief_out = [editor, brief_md, brief_docx, brief_status]
    make_brief.click(draft_brief, [topic, brief_lang, prefs, doc_pref], brief_out)
    topic.submit(draft_brief, [topic, brief_lang, prefs, doc_pref], brief_out)
    editor.change(brief_files, editor, [brief_md, brief_docx])  # exports follow the edits


def settings_part(page: Page, demo, prefs, doc_pref, tab) -> None:
    """The Settings tab: answer mode, retrieval, sources retrieved and the document asked about, kept per
    browser (a mode or document no longer available falls back to the default)."""
    import gradio as gr

    i18n, settings, modes, default_mode = page.i18n, page.settings, page.modes, page.default_mode
    mode = gr.Radio(modes, value=default_mode, label=i18n("mode"), elem_id="mode")
    retrieval = gr.Radio(["hybrid", "dense", "keyword"], value="hybrid", label=i18n("retrieval"), elem_id="retrieval")
    top_k = gr.Slider(1, 10, step=1, value=settings.top_k, label=i18n("sources"), elem_id="top-k")

    def choices():
        return [(TEXT["en"]["all_docs"], "")] + [(f"{d.symbol or d.id} — {d.title}", d.id) for d in page.docs]

    doc_choice = gr.Dropdown(choices(), value="", label=i18n("doc"), elem_id="doc-choice")

    # The corpus as it is now (a document added or removed in the Documents tab since the app started).
    def current(d):
        return gr.update(choices=choices(), value=d if d in {x.id for x in page.docs} else "")

    tab.select(current, doc_choice, doc_choice)

    def save_prefs(r, k, m):
        return {"retrieval": r, "top_k": int(k), "mode": m}

    for c in (retrieval, top_k, mode):
        c.change(save_prefs, [retrieval, top_k, mode], prefs)
    demo.load(
        lambda p: (
            p.get("retrieval", "hybrid"),
            p.get("top_k", settings.top_k),
            p["mode"] if p.get("mode") in {v for _, v in modes} else default_mode,  # the model may be gone
        ),
        prefs,
        [retrieval, top_k, mode],
    )
    doc_choice.change(lambda d: d or "", doc_choice, doc_pref)
    demo.load(lambda d: d if d in {x.id for x in page.docs} else "", doc_pref, doc_choice)


def build_app(settings, holder: EngineHolder | None = None):
    """The page: a chat tab (conversation beside the source panel), the document, briefing notes, settings."""
    import gradio as gr

    page = load_page(settings, holder)
    i18n = page.i18n
    with gr.Blocks(title="ILO document assistant") as demo:
        prefs = gr.BrowserState(
            {"retrieval": "hybrid", "top_k": settings.top_k, "mode": page.default_mode},
            storage_key="ilo-assistant-settings",
        )
        doc_pref = gr.BrowserState("", storage_key="ilo-assistant-doc")  # the document questions are about
        turns = gr.State([])
        # A citation click writes the unit's id here (see JS); rendered inside the source panel.
        target = gr.Textbox(elem_id="cite-target", elem_classes=["hidden-input"], show_label=False, render=False)
        gr.Markdown(f"## {TEXT['en']['title']}")
        gr.Markdown(i18n("subtitle"))
        with gr.Tabs():
            with gr.Tab(i18n("chat"), id="chat-tab"), gr.Row():
                with gr.Column(scale=3):
                    chat_part(page, turns, prefs, doc_pref, target)
                with gr.Column(scale=2):
                    source_part(page, turns, target)
            with gr.Tab(i18n("document"), id="doc-tab") as doc_tab:
                document_part(page, doc_tab)
            with gr.Tab(i18n("documents"), id="documents-tab"):
                documents_part(page, demo)
            with gr.Tab(i18n("brief"), id="brief-tab"):
                briefing_part(page, prefs, doc_pref)
            with gr.Tab(i18n("settings"), id="settings-tab") as settings_tab:
                settings_part(page, demo, prefs, doc_pref, settings_tab)
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    return demo, i18n


def parse_args(argv: list[str] | None = None, environ=os.environ) -> argparse.Namespace:
    """Where to listen: `--host`/`--port`, else ILO_UI_HOST/ILO_UI_PORT, else Gradio's own
    GRADIO_SERVER_NAME/GRADIO_SERVER_PORT, else 127.0.0.1:7860. (The project's variables come before
    Gradio's, which a machine may set for every Gradio app it runs.)"""
    ap = argparse.ArgumentParser(description="Start the chat window (Gradio) on 127.0.0.1.")
    host = next((environ[k] for k in ("ILO_UI_HOST", "GRADIO_SERVER_NAME") if environ.get(k)), "127.0.0.1")
    port_from = next((k for k in ("ILO_UI_PORT", "GRADIO_SERVER_PORT") if environ.get(k)), None)
    port = environ[port_from].strip() if port_from else "7860"
    ap.add_argument("--host", default=host, help="address to bind (default: %(default)s)")
    ap.add_argument("--port", type=int, default=None, help=f"port (default: {port})")
    args = ap.parse_args(argv)
    if args.port is None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            ap.error(f"{port_from}={port!r} is not a port number")
        args.port = int(port)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    auth = None
    if args.host not in LOCAL_HOSTS:
        user, password = os.environ.get("ILO_UI_USERNAME"), os.environ.get("ILO_UI_PASSWORD")
        if not (user and password):
            print(
                f"error: binding to {args.host} exposes the app beyond this machine; set ILO_UI_USERNAME and "
                "ILO_UI_PASSWORD to require a login",
                file=sys.stderr,
            )
            return 2
        auth = (user, password)

    from pydantic import ValidationError

    from assistant.config import load_settings

    try:
        settings = load_settings()
    except ValidationError as e:  # a bad ILO_* value: name it, no traceback
        bad = "; ".join(f"ILO_{'_'.join(map(str, x['loc'])).upper()}: {x['msg']}" for x in e.errors())
        print(f"error: a setting is not valid: {bad}; correct it in the environment", file=sys.stderr)
        return 2
    demo, i18n = build_app(settings)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        auth=auth,
        i18n=i18n,
        css=CSS,
        js=JS,
        footer_links=[],
        show_error=False,
        max_file_size=int(settings.max_document_mb * 1e6),  # uploads in the Documents tab
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
