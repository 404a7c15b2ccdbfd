"""The chat window, driven in a real browser (Debian's Chromium through Playwright) against the real app.

Screenshots of each state are saved under test-output/ui/.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, wait_for_port

from assistant.config import ROOT

SHOTS = ROOT / "test-output" / "ui"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def start_app(index_dir: Path, log_name: str, env: dict | None = None):
    """`python ui.py` on a free port over the given index; yields its address, then stops it."""
    port = free_port()
    env = {**os.environ, "ILO_INDEX_DIR": str(index_dir), **(env or {})}
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / log_name, "w")  # noqa: SIM115 - open for the app's lifetime
    proc = subprocess.Popen(
        [sys.executable, "ui.py", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    wait_for_port(port, proc, 180, "the app", SHOTS / log_name)
    yield {"url": f"http://127.0.0.1:{port}", "index_dir": index_dir}
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def app(engine):
    yield from start_app(engine.settings.index_dir, "ui-server.log")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make browser` (apt-get install chromium fonts-wqy-microhei)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def open_page(browser, app, locale="en-US"):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale, accept_downloads=True)
    page = context.new_page()
    page.goto(app["url"], wait_until="load")  # Gradio keeps a connection open: never wait for networkidle
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


def ask(page, question: str, n_answers: int):
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        """([n]) => { const b = document.querySelectorAll('#chat [data-testid="bot"]');
                      return b.length >= n && !b[b.length - 1].innerText.trim().endsWith('…'); }""",
        arg=[n_answers],
        timeout=120_000,
    )


def last_answer(page) -> str:
    return page.locator("#chat [data-testid='bot']").last.inner_text()


def test_chat_citations_source_panel_follow_up_feedback_export(browser, app):
    page = open_page(browser, app)
    assert "No conversation yet" in page.inner_text("#chat")  # the empty state
    page.screenshot(path=SHOTS / "01-empty.png")

    ask(page, "国际劳工组织的附加值体现在哪里？", 1)
    answer = last_answer(page)
    assert answer.startswith("根据") and "[¶29]" in answer
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('¶29')", timeout=30_000)
    page.screenshot(path=SHOTS / "02-answer-zh.png")

    ask(page, "Which 2019 deliverable concerns South-South cooperation?", 2)
    assert "D2.5" in last_answer(page)
    ask(page, "And at which conference will it be promoted?", 3)  # a follow-up: needs the history
    assert "BAPA+40" in last_answer(page) and "[D2.5]" in last_answer(page)
    page.screenshot(path=SHOTS / "03-follow-up-en.png")

    # Click an inline citation of the first answer: the source panel shows it, sentence highlighted.
    page.locator("#chat a.cite", has_text="¶29").first.click()
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('¶29')")
    panel = page.inner_text("#source-panel")
    assert "4. 重点领域" in panel and "规范性和三方性机构" in panel
    assert page.locator("#source-panel mark").count() >= 1
    assert "¶28" in page.inner_text("#prev") and "¶30" in page.inner_text("#next")
    page.click("#next")  # the neighbouring paragraph, one click away
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('¶30')")
    page.screenshot(path=SHOTS / "04-source-panel.png")

    # Thumbs up on the last answer, with a comment: both land in the feedback database.
    page.locator("#chat [data-testid='bot']").last.hover()
    page.locator("#chat button[aria-label='Like']").last.click()
    page.wait_for_function("document.querySelector('#status').innerText.includes('feedback #')")
    page.fill("#comment textarea", "Useful for the RC briefing")
    page.click("#save-comment")
    page.wait_for_function("document.querySelector('#status').innerText.includes('Comment saved')")
    with sqlite3.connect(app["index_dir"] / "feedback.sqlite") as db:
        rows = db.execute("SELECT question, rating, comment, citations FROM feedback").fetchall()
    assert rows[-1][:3] == ("And at which conference will it be promoted?", "up", "Useful for the RC briefing")
    assert "d2.5" in rows[-1][3]

    # Export the conversation as DOCX and open it.
    with page.expect_download() as dl:
        page.click("#export-docx")
    path = SHOTS / "conversation.docx"
    dl.value.save_as(path)
    import docx

    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "国际劳工组织的附加值体现在哪里？" in text and "[¶29]" in text and "BAPA+40" in text
    with page.expect_download() as dl:
        page.click("#export-md")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "> 国际劳工组织的附加值体现在其作为一个规范性和三方性机构" in md


def test_a_refusal_of_what_the_paper_only_mentions_opens_the_closest_passage(browser, app):
    """The paper names BAPA+40 (D2.5) but no city: the refusal says so, and the passage it names opens in the
    source panel, in English beside the Chinese original, so the reader can check the refusal."""
    page = open_page(browser, app)
    ask(page, "In which city will the BAPA+40 conference take place?", 1)
    answer = last_answer(page)
    assert "does not say where it is held" in answer and "[D2.5]" in answer
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('D2.5')", timeout=30_000)
    assert "BAPA+40" in page.inner_text("#source-panel")
    page.screenshot(path=SHOTS / "02b-refusal-closest.png")


def test_a_list_quoted_item_by_item_keeps_its_marks_and_links(browser, app):
    """¶11 lists the four areas (1)–(4), each item cited: "[¶11](2)" must not turn into a Markdown link that
    swallows the label and the list mark."""
    page = open_page(browser, app)
    ask(page, "行动计划涉及哪四个关键领域？", 1)
    answer = last_answer(page)
    assert all(f"({n})" in answer for n in range(1, 5)), answer
    assert answer.count("[¶11]") >= 4 and page.locator("#chat a.cite", has_text="¶11").count() >= 4


def test_an_example_fills_the_question_box(browser, app):
    page = open_page(browser, app)
    page.locator("#chat").get_by_text("第12段说了什么？").click()
    page.wait_for_function("document.querySelector('#question textarea').value === '第12段说了什么？'", timeout=30_000)


def test_errors_are_messages_and_the_app_recovers(browser, app):
    page = open_page(browser, app)
    ask(page, "x" * 10_000, 1)
    assert "⚠️" in last_answer(page) and "10,000 characters" in last_answer(page)
    page.screenshot(path=SHOTS / "05-error.png")
    ask(page, "What does paragraph 12 say?", 2)
    assert "[¶12]" in last_answer(page)


def test_missing_index_is_a_message_not_a_crash(browser, tmp_path):
    for broken in start_app(tmp_path / "no-index", "ui-server-no-index.log"):
        page = open_page(browser, broken)
        ask(page, "What does paragraph 12 say?", 1)
        answer = last_answer(page)
        assert "not ready" in answer and "python -m assistant ingest" in answer and "Traceback" not in answer
        page.screenshot(path=SHOTS / "05b-no-index.png")
        page.get_by_role("tab", name="Document", exact=True).click()  # the document view needs no index
        page.wait_for_selector("#document #u-GB_334-INS-3-1_p12")


def test_document_view_and_search(browser, app):
    page = open_page(browser, app)
    page.get_by_role("tab", name="Document", exact=True).click()
    page.wait_for_selector("#document #u-GB_334-INS-3-1_p12")
    assert page.locator("#document h3", has_text="1. 重点领域").count() == 1
    assert page.locator("#document a.fnref[href='#u-GB_334-INS-3-1_fn4']").count() == 1  # ¶5 → fn 4
    page.fill("#doc-search textarea, #doc-search input", "南南合作")
    page.wait_for_function("document.querySelector('#document').innerText.includes('units match')")
    assert page.locator("#document mark").count() >= 3
    page.screenshot(path=SHOTS / "06-document-search.png")


def test_interface_follows_the_browser_language(browser, app):
    page = open_page(browser, app, locale="zh-CN")
    assert page.get_by_role("button", name="提问").count() == 1
    page.screenshot(path=SHOTS / "07-chinese-interface.png")


def test_binding_beyond_localhost_requires_a_login():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILO_UI_")}
    r = subprocess.run(
        [sys.executable, "ui.py", "--host", "0.0.0.0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "ILO_UI_USERNAME" in r.stderr


def test_address_from_options_then_ilo_then_gradio_variables():
    import ui

    assert vars(ui.parse_args([], {})) == {"host": "127.0.0.1", "port": 7860}
    gradio = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "8080"}
    assert vars(ui.parse_args([], gradio)) == {"host": "0.0.0.0", "port": 8080}
    both = {**gradio, "ILO_UI_HOST": "localhost", "ILO_UI_PORT": "9000"}
    assert vars(ui.parse_args([], both)) == {"host": "localhost", "port": 9000}
    options = ["--host", "127.0.0.1", "--port", "7000"]
    assert vars(ui.parse_args(options, both)) == {"host": "127.0.0.1", "port": 7000}
    assert vars(ui.parse_args(["--port", "7001"], gradio)) == {"host": "0.0.0.0", "port": 7001}
    with pytest.raises(SystemExit):
        ui.parse_args([], {"GRADIO_SERVER_PORT": "http"})


def test_gradio_server_name_beyond_localhost_requires_a_login_too():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ILO_UI_", "GRADIO_SERVER_"))}
    r = subprocess.run(
        [sys.executable, "ui.py"],
        cwd=ROOT,
        env={**env, "GRADIO_SERVER_NAME": "0.0.0.0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "binding to 0.0.0.0" in r.stderr and "ILO_UI_USERNAME" in r.stderr


def test_settings_are_kept_for_the_browser(browser, app):
    page = open_page(browser, app)
    page.get_by_role("tab", name="Settings").click()
    page.get_by_label("dense").check()
    page.wait_for_timeout(1500)  # BrowserState writes to localStorage after the change event
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.get_by_role("tab", name="Settings").click()
    page.wait_for_function("document.querySelector('#retrieval input[value=\"dense\"]').checked", timeout=30_000)
    other = open_page(browser, app)  # another browser context: its own settings
    other.get_by_role("tab", name="Settings").click()
    assert other.locator('#retrieval input[value="hybrid"]').is_checked()


def start_note(browser, app, topic: str):
    """Open the app's briefing tab and ask for a note on the topic."""
    page = open_page(browser, app)
    page.get_by_role("tab", name="Briefing note").click()
    page.fill("#brief-topic textarea, #brief-topic input", topic)
    page.click("#make-brief")
    return page


def wait_for_note(page, timeout_ms: int) -> None:
    page.wait_for_function(
        "document.querySelector('#brief-editor textarea').value.includes('## Key messages')", timeout=timeout_ms
    )


def test_briefing_tab_drafts_edits_and_exports(browser, app):
    page = start_note(browser, app, "South-South cooperation")
    wait_for_note(page, 120_000)
    editor = page.locator("#brief-editor textarea")
    note = editor.input_value()
    assert "[D2.5]" in note and "## Annex: cited texts" in note
    editor.fill(note.replace("## Key messages", "## Key messages\n\nEdited by the desk officer."))
    page.locator("#brief-topic textarea, #brief-topic input").click()  # leave the editor
    page.wait_for_timeout(3000)  # the exports follow the edit
    page.screenshot(path=SHOTS / "08-briefing.png")
    with page.expect_download() as dl:
        page.click("#brief-docx")
    import docx

    text = "\n".join(p.text for p in docx.Document(dl.value.path()).paragraphs)
    assert "Edited by the desk officer." in text and "Briefing note: South-South cooperation" in text


@pytest.fixture(scope="module")
def multi_app(tmp_path_factory):
    """Three documents (e5-small): the plan, a review PDF citing GB.334/INS/4, and GB.334/INS/4 itself."""
    from conftest import copy_corpus
    from docgen import Doc, write_markdown, write_pdf
    from test_formats import LOREM, english_doc

    from assistant.config import load_settings
    from assistant.documents.corpus import add_to_corpus, prepare
    from assistant.search.index import build_index

    tmp = tmp_path_factory.mktemp("multi-ui")
    s = load_settings(corpus_dir=copy_corpus(tmp / "corpus"), index_dir=tmp / "index", embed_model="e5-small")
    write_pdf(english_doc(), tmp / "review.pdf", page_size=(298, 420))
    un = Doc(["UN reform", "The reform of the United Nations development system repositions coordinators. " + LOREM])
    docs = [
        prepare(tmp / "review.pdf"),
        prepare(write_markdown(un, tmp / "un.md"), symbol="GB.334/INS/4", title="UN reform"),
    ]
    build_index(s, progress=False, change=lambda: add_to_corpus(s.corpus_dir, docs))
    env = {"ILO_CORPUS_DIR": str(s.corpus_dir), "ILO_EMBED_MODEL": "e5-small"}
    yield from start_app(s.index_dir, "ui-server-multi.log", env)


def test_several_documents_selector_names_and_links(browser, multi_app):
    page = open_page(browser, multi_app)
    # All documents: a look-up in the plan; its footnote names a paper that is not in the corpus.
    ask(page, "What does footnote 3 say?", 1)
    assert "[GB.334/INS/3/1 fn 3]" in last_answer(page)  # the citation names its document
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('fn 3')")
    assert "GB.334/PFA/1 (not in the corpus" in page.inner_text("#source-panel")

    # Restrict questions to the review: answers cite it only, and its footnote links to GB.334/INS/4.
    page.get_by_role("tab", name="Settings").click()
    page.click("#doc-choice input")
    page.get_by_role("option", name="GB.335/INS/9 — Country programmes: a review").click()
    page.wait_for_timeout(1000)
    page.get_by_role("tab", name="Chat").click()
    ask(page, "Which paper is cited about the reform of the United Nations development system?", 2)
    answer = last_answer(page)
    assert "[GB.335/INS/9 " in answer and "GB.334/INS/3/1" not in answer
    # The review's fn 1 (or ¶1, which cites it) names GB.334/INS/4: a link that opens that document.
    cited = page.locator("#chat a.cite").filter(has_text=re.compile(r"GB\.335/INS/9 (fn 1|p\. 1 ¶1)")).last
    cited.click()
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('GB.335-INS-9')")
    page.screenshot(path=SHOTS / "07-several-documents.png")
    page.locator("#source-panel a.cite", has_text="GB.334/INS/4").click()
    page.wait_for_function("document.querySelector('#source-panel').innerText.includes('GB.334-INS-4')")
    assert "repositions coordinators" in page.inner_text("#source-panel")

    # The document view shows each document under its symbol and title.
    page.get_by_role("tab", name="Document", exact=True).click()
    page.wait_for_selector("#document h2.doc-title")
    assert page.locator("#document h2.doc-title").count() == 3


@pytest.fixture(scope="module")
def written_app(engine):
    """The app with a language model configured: SmolLM2-135M in-process (the smallest real model)."""
    env = {"ILO_ANSWER_MODE": "local", "ILO_LLM_MODEL": "smollm2-135m"}
    yield from start_app(engine.settings.index_dir, "ui-server-written.log", env)


LAST_BOT = "(() => { const b = document.querySelectorAll('#chat [data-testid=\"bot\"]'); return b[b.length - 1]; })()"


def test_written_answers_stream_a_draft_then_the_checked_answer(browser, written_app):
    """With a model configured: the draft streams with a note that it is being checked, the checked
    answer replaces it with its provenance, and the reader can switch back to quoted answers."""
    page = open_page(browser, written_app)
    page.get_by_role("tab", name="Settings").click()
    assert page.locator('#mode input[value="written"]').is_checked()
    assert "written by local:smollm2-135m, citations checked" in page.inner_text("#mode")
    page.get_by_role("tab", name="Chat").click()
    page.fill("#question textarea", "Where does the ILO's added value lie?")
    page.click("#send")
    page.wait_for_function(f"{LAST_BOT} && {LAST_BOT}.innerText.includes('citations are checked')", timeout=120_000)
    page.screenshot(path=SHOTS / "10-written-draft.png")
    page.fill("#question textarea", "And who coordinates the plan?")  # typed while the answer streams
    page.wait_for_function(
        f"{LAST_BOT} && !{LAST_BOT}.innerText.includes('citations are checked') && !{LAST_BOT}.innerText.endsWith('…')",
        timeout=240_000,
    )
    # the next question, typed while the answer was written, is still there when it is done
    assert page.input_value("#question textarea") == "And who coordinates the plan?"
    page.fill("#question textarea", "")
    final = last_answer(page)
    page.screenshot(path=SHOTS / "11-written-checked.png")
    written = "Written by local:smollm2-135m; citations checked against the sources" in final
    refused = "The documents do not support an answer" in final and (  # nothing SmolLM2 wrote was supported
        "none supported by the sources" in final or "found no answer in the sources" in final
    )
    assert written or refused, final
    if written:
        assert re.search(r"\[¶\d+\]", final)

    page.get_by_role("tab", name="Settings").click()
    page.locator('#mode input[value="extractive"]').check()
    page.get_by_role("tab", name="Chat").click()
    ask(page, "Where does the ILO's added value lie?", 2)
    quoted = last_answer(page)
    assert quoted.startswith("According to GB.334/INS/3/1") and "[¶29]" in quoted and "Written by" not in quoted


def test_briefing_tab_streams_the_model_draft_then_the_checked_note(browser, written_app):
    page = start_note(browser, written_app, "South-South cooperation")
    page.wait_for_function(
        "document.querySelector('#brief-status').innerText.includes('local:smollm2-135m — draft')", timeout=120_000
    )
    page.screenshot(path=SHOTS / "12-briefing-draft.png")
    wait_for_note(page, 240_000)
    note = page.locator("#brief-editor textarea").input_value()
    page.screenshot(path=SHOTS / "13-briefing-written.png")
    assert "*Key messages written by local:smollm2-135m" in note or "⚠ The key messages are quoted" in note
    assert "[D2.5]" in note and "## Annex: cited texts" in note
    assert "draft" not in page.inner_text("#brief-status")  # the draft is gone once the note is checked
