"""The Documents tab in a real browser (Debian's Chromium through Playwright) against `python ui.py` over a copy of
the corpus and an e5-small index: the corpus listed, a DOCX uploaded and previewed with its warning, added, listed,
answered from in the chat, then removed after a confirmation; the plan cannot be removed. Screenshots under
test-output/ui/."""

from __future__ import annotations

import pytest
from conftest import copy_build
from docgen import Doc, write_docx
from test_ui import SHOTS, ask, browser, last_answer, open_page, start_app  # noqa: F401 - `browser` is a fixture

PAPER = Doc(
    [
        "GB.999/TEST/2",
        "1. The Office will train lighthouse keepers as apprentices in three coastal member States in 2019.¹",
        "2. The Evaluation Office will review the apprenticeship pilot before it is extended.²",
    ],
    {1: "See the maritime skills review of 2018."},
    title="Lighthouse keepers",
    symbol="GB.999/TEST/2",
)


@pytest.fixture(scope="module")
def docs_app(e5_build, tmp_path_factory):
    root = tmp_path_factory.mktemp("docs-ui")
    corpus, index = copy_build(e5_build, root)
    env = {"ILO_CORPUS_DIR": str(corpus), "ILO_EMBED_MODEL": "e5-small"}
    for app in start_app(index, "ui-server-documents.log", env):
        yield {**app, "root": root, "corpus": corpus}


def table(page) -> str:
    return page.inner_text("#doc-table")


def wait_text(page, selector: str, text: str, timeout: int = 60_000) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }",
        arg=[selector, text],
        timeout=timeout,
    )


def choose_for_removal(page, doc_id: str) -> None:
    page.click("#doc-remove-choice input")
    page.get_by_role("option", name=doc_id, exact=True).click()
    page.click("#doc-remove")


def test_upload_preview_add_list_ask_and_remove(browser, docs_app):  # noqa: F811 - the fixture imported above
    page = open_page(browser, docs_app)
    page.get_by_role("tab", name="Documents").click()
    wait_text(page, "#doc-table", "GB.334-INS-3-1")
    listed = table(page)
    assert "GB.334/INS/3/1" in listed and "zh (original)" in listed and "machine translation" in listed
    assert "74" in listed and "indexed" in listed and "shipped" in listed

    # The plan is protected: a clear message, no confirmation asked.
    choose_for_removal(page, "GB.334-INS-3-1")
    wait_text(page, "#doc-status", "is protected")
    assert not page.locator("#doc-remove-yes").is_visible()

    # Upload: the preview shows the units and the warning before anything is added.
    paper = write_docx(PAPER, docs_app["root"] / "keepers.docx")
    page.set_input_files("#doc-upload input[type=file]", str(paper))
    wait_text(page, "#doc-preview", "1 warning(s)")
    preview = page.inner_text("#doc-preview")
    assert "GB.999-TEST-2" in preview and "4 units" in preview and "¶2: marker 2 points to no footnote" in preview
    assert "GB.999-TEST-2" not in table(page)  # nothing added yet
    page.screenshot(path=SHOTS / "20-documents-preview.png")

    page.click("#doc-add")
    wait_text(page, "#doc-status", "Added GB.999-TEST-2", 120_000)
    wait_text(page, "#doc-table", "GB.999/TEST/2")
    assert (docs_app["corpus"] / "GB.999-TEST-2.en.docx").exists()
    page.screenshot(path=SHOTS / "21-documents-added.png")

    # The document view and the settings' document selector show it when their tab is opened, no reload.
    page.get_by_role("tab", name="Document", exact=True).click()
    wait_text(page, "#document", "GB.999/TEST/2")
    page.get_by_role("tab", name="Settings").click()
    page.click("#doc-choice input")
    page.wait_for_selector("ul[role='listbox'] >> text=GB.999/TEST/2", timeout=30_000)
    page.keyboard.press("Escape")

    # The chat answers from it at once, citing its paragraph.
    page.get_by_role("tab", name="Chat").click()
    ask(page, "Who will the Office train as apprentices in coastal member States?", 1)
    assert "[GB.999/TEST/2 ¶1]" in last_answer(page)

    # Remove it: a confirmation first, then it is gone from the list and from the answers.
    page.get_by_role("tab", name="Documents").click()
    choose_for_removal(page, "GB.999-TEST-2")
    wait_text(page, "#doc-remove-question", "Remove GB.999-TEST-2")
    page.screenshot(path=SHOTS / "22-documents-confirm-removal.png")
    page.click("#doc-remove-yes")
    wait_text(page, "#doc-status", "Removed GB.999-TEST-2", 120_000)
    assert "GB.999" not in table(page)
    assert not (docs_app["corpus"] / "GB.999-TEST-2.en.docx").exists()
    page.get_by_role("tab", name="Chat").click()
    ask(page, "Who will the Office train as apprentices in coastal member States?", 2)
    assert "GB.999/TEST/2" not in last_answer(page)


def test_a_broken_file_is_a_message_and_nothing_is_added(browser, docs_app):  # noqa: F811
    page = open_page(browser, docs_app)
    page.get_by_role("tab", name="Documents").click()
    wait_text(page, "#doc-table", "GB.334-INS-3-1")
    broken = docs_app["root"] / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a PDF")
    page.set_input_files("#doc-upload input[type=file]", str(broken))
    wait_text(page, "#doc-preview", "not a readable PDF")
    assert page.locator("#doc-add").is_disabled()
    assert "broken" not in table(page)
