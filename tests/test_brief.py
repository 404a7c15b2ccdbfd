"""Briefing notes: structure, citations, the DOCX rendered by LibreOffice and looked at as pages."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from assistant.brief import MAX_MESSAGES, MIN_MESSAGES, NoMaterial, build_briefing, markdown_to_docx, to_markdown
from assistant.config import ROOT

OUT = ROOT / "test-output" / "brief"


@pytest.fixture(scope="module")
def south_south(engine):
    return build_briefing(engine, "South-South cooperation")


def test_note_structure_and_citations(south_south):
    b = south_south
    assert MIN_MESSAGES <= len(b.messages) <= MAX_MESSAGES
    for sentence, unit in b.messages:  # each key message quotes the unit it cites
        assert sentence in unit.plain_text
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
    assert "¶24" in [u.label for _, u in b.messages]


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
