"""Briefing notes: structure, citations, the DOCX rendered by LibreOffice and looked at as pages."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pytest

from assistant.answers.answer import text_in
from assistant.answers.prompt import BRIEF_EXAMPLE, neutralise
from assistant.config import ROOT, load_settings
from assistant.engine import Engine
from assistant.interfaces.brief import (
    MAX_MESSAGES,
    MIN_MESSAGES,
    Briefing,
    NoMaterial,
    build_briefing,
    build_briefing_stream,
    markdown_to_docx,
    to_markdown,
)

OUT = ROOT / "test-output" / "brief"


@pytest.fixture(scope="module")
def south_south(engine):
    return build_briefing(engine, "South-South cooperation")


def test_note_structure_and_citations(south_south):
    b = south_south
    assert MIN_MESSAGES <= len(b.messages) <= MAX_MESSAGES
    for m in b.messages:  # each key message quotes the unit it cites, in the note's language version
        assert not m.written and len(m.units) == 1 and m.text in text_in(m.units[0], b.language)
    assert "D2.5" in [u.label for u in b.deliverables]
    md = to_markdown(b)
    for heading in (
        "# Briefing note: South-South cooperation",
        "## Key messages",
        "## What the ILO will deliver in 2019",
        "## Governing Body papers to read next",
        "## Annex",
    ):
        assert heading in md
    for unit in b.cited:  # the annex quotes every cited unit in full
        assert f"> {unit.plain_text}" in md and f"[{unit.label}]" in md
    for symbol, notes, in_corpus in b.papers:
        assert symbol.startswith("GB.") and notes and not in_corpus  # only the plan itself is in the corpus
        assert f"{symbol} (not in the corpus" in md


def test_chinese_note(engine):
    b = build_briefing(engine, "透明度")
    md = to_markdown(b)
    assert md.startswith("# 简报：透明度") and "## 要点" in md
    assert "¶24" in [m.units[0].label for m in b.messages]


def test_a_topic_named_as_staff_name_it_is_briefed_and_an_empty_section_says_so(engine):
    """ "The Turin Centre" is what staff call it; the English version says "International Training Centre of
    the ILO" (term base): the note is made and lists the Centre's deliverables. A note whose paragraphs cite
    no paper says so rather than leaving the section blank."""
    turin = build_briefing(engine, "the Turin Centre")
    assert {"D1.4", "D4.1"} <= {u.label for u in turin.deliverables}
    funding = build_briefing(engine, "funding and resource mobilization")
    md = to_markdown(funding)
    section = md.split("## Governing Body papers to read next")[1].split("## Annex")[0]
    assert section.strip(), "the section is blank"
    assert ("cite no Governing Body paper" in section) == (not funding.papers)


def test_unsupported_topic_is_refused(engine):
    with pytest.raises(NoMaterial):
        build_briefing(engine, "a recipe for pork dumplings")


def test_docx_renders_in_libreoffice(south_south, tmp_path):
    """The DOCX opens in LibreOffice: converted headless to PDF, then to PNG pages saved for a look."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not (soffice and pdftoppm):
        pytest.fail("LibreOffice or poppler is missing: run `make browser`")
    OUT.mkdir(parents=True, exist_ok=True)
    docx_path = markdown_to_docx(to_markdown(south_south), OUT / "briefing.docx")
    import docx

    d = docx.Document(str(docx_path))
    styles = [p.style.name for p in d.paragraphs]
    assert "Title" in styles and "Heading 1" in styles and "List Bullet" in styles and "Quote" in styles
    supers = [r.text for p in d.paragraphs for r in p.runs if r.font.superscript]
    assert supers and supers[0] == "1"  # citations became footnote-style note numbers
    assert any(p.text.startswith("1. GB.334/INS/3/1, ") for p in d.paragraphs)
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(OUT),
            str(docx_path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = OUT / "briefing.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(OUT / "page")], check=True, timeout=120)
    pages = sorted(OUT.glob("page-*.png"))
    assert len(pages) >= 2
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Key messages" in text and "南南合作" in text  # the Chinese text rendered, not boxes


# Written key messages. SmolLM2-135M (the smallest real model) writes poor messages; the tests assert
# what holds whatever a model writes: every message left in the note is supported by the units it cites.


def _with_llm(engine, llm, **overrides) -> Engine:
    settings = load_settings(index_dir=engine.settings.index_dir, **overrides)
    return Engine(settings, index=engine.index, embedder=engine.embedder, llm=llm)


def assert_messages_supported(b: Briefing, engine: Engine) -> None:
    assert MIN_MESSAGES <= len(b.messages) <= MAX_MESSAGES
    for m in b.messages:
        assert m.units
        for u in m.units:
            assert engine.judge.supports(m.text, neutralise(u.plain_text)), (m.text, u.label)
    md = to_markdown(b)
    for m in b.messages:
        assert f"- {m.text} [{m.units[0].label}]" in md


def test_written_note_streams_a_draft_then_keeps_only_supported_messages(engine):
    from assistant.models.llm import make_llm

    smol_llm = make_llm(load_settings(answer_mode="local", llm_model="smollm2-135m"))
    smol = _with_llm(engine, smol_llm, answer_mode="local", llm_model="smollm2-135m")
    events = list(build_briefing_stream(smol, "South-South cooperation"))
    deltas, b = events[:-1], events[-1]
    assert isinstance(b, Briefing) and deltas and all(isinstance(d, str) for d in deltas)
    # The draft: the key messages, then (an English note on a Chinese paper) the deliverables restated.
    assert "".join(deltas).startswith(b.raw) and b.timings_ms["ttft_ms"] <= b.timings_ms["generate_ms"]
    assert_messages_supported(b, smol)
    md = to_markdown(b)
    if any(m.written for m in b.messages):
        assert b.backend == "local:smollm2-135m" and "*Key messages written by local:smollm2-135m" in md
    else:  # nothing SmolLM2 wrote was supported: the quoted messages, and the note says why
        assert b.fallback and "⚠ The key messages are quoted" in md
    assert "D2.5" in [u.label for u in b.deliverables]


class _ScriptedLLM:
    """Test double: a model that writes fixed texts (one per request), so that the check's handling of
    each kind of line (supported with a wrong label, invented, the prompt's example echoed, markup) is
    exact; a real model cannot be made to write those on demand."""

    def __init__(self, *texts: str):
        self.texts = list(texts)
        self.requests = []

    def stream_chat(self, messages, **kwargs):
        from llama_index.core.llms import ChatMessage, ChatResponse

        self.requests.append((messages, kwargs))
        for piece in self.texts.pop(0).split(" "):
            yield ChatResponse(message=ChatMessage(role="assistant", content=""), delta=piece + " ")


def test_written_messages_are_checked_and_the_note_says_what_was_removed(engine):
    p7 = engine.index.by_id["GB.334-INS-3-1:p7"].plain_text
    sstc = next(s for s in p7.split("。") if "南南合作" in s) + "。"
    script = (
        "Key messages:\n"
        f"- **{sstc}** [¶3]\n"  # supported by ¶7, cited wrongly
        f"- {BRIEF_EXAMPLE['en']} [¶12]\n"  # the prompt's example, echoed
        "- The ILO was founded on the Moon in 1066 by South-South partners. [¶7]\n"
    )
    restated = (
        "Consolidate good practices in South-South and triangular cooperation, develop an ILO framework to "
        "measure their results and impact, and promote these practices in the UNSDG results groups and at the "
        "second UN High-level Conference on South-South Cooperation (BAPA+40 Conference)."
    )
    restate = f"Items (in English):\n- {restated} [D2.5]\n- D2.2: The ILO will open an office on Mars.\n"
    model = _ScriptedLLM(script, restate)
    # Deliverables are restated only when the note's language has no version of them: the plan without its
    # English version here.
    bare = Engine(engine.settings, index=engine.index.without_versions(), embedder=engine.embedder)
    # A topic that finds two deliverables (D2.2 on private-sector partnerships, D2.5 on South-South cooperation).
    b = build_briefing(
        _with_llm(bare, model), "partnerships: South-South cooperation and the private sector", language="en"
    )
    (brief_prompt, kwargs), (restate_prompt, _) = model.requests
    system, user = (m.content for m in brief_prompt)
    assert (
        "in English" in system and "South-South cooperation and the private sector" in user and "<source label=" in user
    )
    assert kwargs["max_tokens"] == engine.settings.llm_brief_max_tokens
    assert '<item label="D2.5">' in restate_prompt[1].content and '<item label="D2.2">' in restate_prompt[1].content
    assert b.messages[0].written and b.messages[0].text == sstc
    assert [u.label for u in b.messages[0].units] == ["¶7"]  # re-attributed to the unit that says it
    assert b.dropped == [
        "The ILO was founded on the Moon in 1066 by South-South partners.",
        "The ILO will open an office on Mars.",
    ]
    assert b.restated == {"GB.334-INS-3-1:d2.5": restated}  # D2.2's invented restatement: its quote stays
    assert not any(BRIEF_EXAMPLE["en"] in m.text for m in b.messages)
    assert [m.written for m in b.messages] == [True, False, False]  # topped up with quoted messages
    assert_messages_supported(b, engine)
    md = to_markdown(b)
    assert "Moon" not in md and "Mars" not in md and "**" not in md
    assert f"- {restated} [D2.5]" in md and "> 巩固南南合作和三角合作的良好实践" in md  # the annex quotes the original
    assert "- 明确国际劳工组织与私营部门建立伙伴关系的良好实践" in md
    assert "*Key messages written by custom and checked against the cited paragraphs; 2 unsupported " in md
    assert "2 quoted to complete the note; 1 deliverable(s) restated in English and checked the same way.*" in md


def test_unreachable_model_gives_the_quoted_note_and_says_why(engine):
    from conftest import free_port

    from assistant.models.llm import make_llm

    overrides = dict(answer_mode="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_ttft_budget_s=20)
    remote = _with_llm(engine, make_llm(load_settings(**overrides)), **overrides)
    b = build_briefing(remote, "透明度")
    assert b.backend == "extractive" and "language model failed" in b.fallback
    assert all(not m.written for m in b.messages) and "¶24" in [m.units[0].label for m in b.messages]
    assert "⚠ 要点改为引用原文：the language model failed" in to_markdown(b)


def test_note_citing_several_documents_names_each_citation_s_document(engine, tmp_path):

    import docx

    from assistant.documents.corpus import DocumentInfo
    from assistant.documents.units import Unit
    from assistant.interfaces.brief import KeyMessage

    plan = engine.index.documents[0]
    review = DocumentInfo("GB.335-INS-9", "GB.335/INS/9", "Country programmes", language="en", source="")
    p22 = replace(engine.index.by_id["GB.334-INS-3-1:p22"], versions=())  # quoted from the Chinese original
    other = Unit(id="GB.335-INS-9:pg1.1", doc=review.id, kind="paragraph", label="p. 1 ¶1", text="DWCPs work.", order=0)
    b = Briefing(
        topic="partnerships",
        language="en",
        messages=[KeyMessage("The ILO shares good practice.", [p22], written=True), KeyMessage("DWCPs work.", [other])],
        documents={plan.id: plan, review.id: review},
        backend="custom",
    )
    md = to_markdown(b)
    assert "[GB.334/INS/3/1 ¶22]" in md and "[GB.335/INS/9 p. 1 ¶1]" in md
    assert "drawn from GB.334/INS/3/1 (Follow-up to the resolution" in md
    assert "; GB.335/INS/9 (Country programmes)." in md
    assert "Quotations are from the Chinese text." in md
    assert "### GB.335/INS/9 p. 1 ¶1 — " in md
    d = docx.Document(str(markdown_to_docx(md, tmp_path / "two.docx")))
    notes = [p.text for p in d.paragraphs if p.text[:3] in ("1. ", "2. ")]
    assert notes == ["1. GB.334/INS/3/1 ¶22", "2. GB.335/INS/9 p. 1 ¶1"]  # not "GB.334/INS/3/1, GB.335/INS/9 …"
    assert [p.runs[0].italic for p in d.paragraphs if p.text.startswith("Key messages written by")] == [True]
