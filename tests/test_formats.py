"""Each file format becomes the same units: documents made here in PDF, DOCX, HTML and Markdown."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import docx
import pytest
from docgen import Doc, plan_doc, write_docx, write_docx_word_footnotes, write_html, write_markdown, write_pdf

from assistant.documents.corpus import CorpusError, prepare
from assistant.documents.formats import FormatError, convert
from assistant.documents.parse import parse_document
from assistant.documents.units import build_units

# Distinct sentences (an answer quotes sentences; repeated ones would be quoted twice).
FILLER = [
    f"Decent work country programmes in {place} draw on the priorities that governments, employers and workers "
    f"agree in national dialogue, and they set out {what}."
    for place, what in [
        ("Africa", "the results the Office will support"),
        ("the Americas", "how tripartite constituents take part"),
        ("the Arab States", "the resources each outcome needs"),
        ("Asia and the Pacific", "the partnerships that fund them"),
        ("Europe and Central Asia", "the indicators used to measure progress"),
        ("small island States", "the links with United Nations frameworks"),
        ("fragile settings", "the risks and how they are managed"),
        ("middle-income countries", "how South-South cooperation is used"),
        ("least developed countries", "the capacity building planned"),
        ("federal States", "the role of regional authorities"),
        ("post-crisis countries", "the sequence of interventions"),
        ("new member States", "the first steps of cooperation"),
    ]
]
LOREM = " ".join(FILLER[:2]) + " "
LONG = " ".join(FILLER[3:12]) + " This paragraph is long enough to run across a page break."
NOTE = "Governing Body document GB.334/INS/4, on the reform of the United Nations development system."


def english_doc() -> Doc:
    """A paper without numbered paragraphs: a heading, long paragraphs, one footnote, one list."""
    return Doc(
        paragraphs=[
            "Background",
            "The Office reviewed how country programmes are designed. " + " ".join(FILLER[:3]) + " It reports here.¹",
            LONG,
            "Next steps",
            "The Governing Body is invited to take note of this report and to provide guidance.",
        ],
        footnotes={1: NOTE},
        title="Country programmes: a review",
        symbol="GB.335/INS/9",
    )


def nospace(s: str) -> str:
    """Line wrapping may drop a space at a line end; the words are what must survive."""
    return re.sub(r"\s", "", s)


def same_units(reference, got) -> None:
    assert [u.id for u in got] and {u.id for u in got} == {u.id for u in reference}
    by_id = {u.id: u for u in got}
    for r in reference:
        g = by_id[r.id]
        assert (g.kind, g.label, g.footnotes, g.cited_by, g.symbols) == (
            r.kind,
            r.label,
            r.footnotes,
            r.cited_by,
            r.symbols,
        ), r.id
        assert nospace(g.text) == nospace(r.text), r.id
        assert [nospace(s) for s in g.section] == [nospace(s) for s in r.section], r.id


@pytest.fixture(scope="module")
def plan_units(plan_text):
    return build_units(parse_document(plan_text), "GB.334-INS-3-1")


def test_plan_rendered_to_pdf_parses_like_the_text(plan_text, plan_units, tmp_path):
    pdf = tmp_path / "plan.pdf"
    layout = write_pdf(plan_doc(plan_text), pdf)
    assert layout["pages"] >= 4 and layout["split_paragraphs"] >= 1  # paragraphs cut by page breaks
    units = build_units(parse_document(convert(pdf).text), "GB.334-INS-3-1")
    same_units(plan_units, units)
    assert [u.paragraph for u in units if u.paragraph] == list(range(1, 33))
    assert [u.footnote for u in units if u.footnote] == list(range(1, 20))
    p = prepare(pdf)  # symbol from the running header, title from the PDF's properties
    assert p.info.id == "GB.334-INS-3-1" and p.info.symbol == "GB.334/INS/3/1" and p.info.language == "zh"
    assert p.info.title.startswith("关于国际劳工组织开展有效发展合作")


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="needs LibreOffice and poppler")
def test_plan_text_printed_to_pdf_by_libreoffice(plan_text, plan_units, tmp_path):
    """The plan's text file turned into PDF by LibreOffice: lines cut by the page width, footnotes that
    wrap onto a second line (fn 13, fn 18), a marker pushed onto a line of its own. Read by this
    project's PDF reader and, hard-wrapped, by poppler's `pdftotext`: the units of the text file."""
    src = tmp_path / "plan.txt"
    src.write_text(plan_text, encoding="utf-8")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},  # a private LibreOffice profile
    )
    pdf = tmp_path / "plan.pdf"
    extracted = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert len(extracted.splitlines()) > 150  # hard-wrapped
    # the reader itself joins a footnote's second line, pushed there by a symbol too long for the first
    read = convert(pdf).text.splitlines()
    assert any(x.startswith("¹³ ") and x.endswith("GB.334/PFA/INF/2)。") for x in read)
    assert any(x.startswith("¹⁸ ") and x.endswith("4、8、10、13、16、17。") for x in read)
    for text in (convert(pdf).text, extracted):
        units = build_units(parse_document(text), "GB.334-INS-3-1")
        assert [u.label for u in units] == [u.label for u in plan_units]
        for r, g in zip(plan_units, units):
            assert nospace(g.text) == nospace(r.text), r.label
            assert (g.footnotes, g.cited_by) == (r.footnotes, r.cited_by), r.label


def test_plan_rendered_to_docx_parses_like_the_text(plan_text, plan_units, tmp_path):
    path = write_docx(plan_doc(plan_text), tmp_path / "plan.docx")
    same_units(plan_units, build_units(parse_document(convert(path).text), "GB.334-INS-3-1"))
    info = prepare(path).info
    assert info.symbol == "GB.334/INS/3/1" and info.language == "zh"


def test_plan_with_word_auto_numbering_parses_like_the_text(plan_text, plan_units, tmp_path):
    """Paragraph numbers that Word draws (list numbering), not typed: the same ¶1–32 as the text."""
    path = write_docx(plan_doc(plan_text), tmp_path / "plan.docx", auto_numbered=True)
    numbered = [p.text for p in docx.Document(str(path)).paragraphs if p.style.name == "List Number"]
    assert len(numbered) == 32 and not any(t[0].isdigit() for t in numbered)  # no number in the text
    units = build_units(parse_document(convert(path).text), "GB.334-INS-3-1")
    same_units(plan_units, units)
    assert [u.paragraph for u in units if u.paragraph] == list(range(1, 33))


def numbered_doc() -> Doc:
    """A paper numbered by Word: paragraph 2 has lettered items, a heading and bullets come between
    paragraphs, and an appendix starts its own numbering again at 1."""
    return Doc(
        paragraphs=[
            "Follow-up to the resolution on development cooperation",
            "I. Introduction",
            "1. " + FILLER[0],
            "2. The Conference discussed two questions:",
            "(a) how development cooperation can best support tripartite constituents;",
            "(b) how the Office can finance it.¹",
            "Next steps",
            "3. " + FILLER[1],
            "2019 deliverables",
            "- Review the decent work country programmes in two regions.",
            "- Update the guide on the capacity development of constituents.",
            "4. The Governing Body is invited to provide guidance on the plan.",
            "(a) on its priorities;",
            "Appendix",
            "1. " + FILLER[2],
            "2. " + FILLER[3],
        ],
        footnotes={1: NOTE},
    )


def test_docx_auto_numbering_gives_the_numbers_word_shows(tmp_path):
    doc = numbered_doc()
    text = convert(write_docx(doc, tmp_path / "numbered.docx", auto_numbered=True)).text
    # Word's numbers come out as if typed: the sequence goes on past the heading and the bullets,
    # lettered items start again at (a) under each paragraph, the appendix restarts at 1.
    assert text.splitlines() == doc.paragraphs[:6] + [f"¹ {NOTE}"] + doc.paragraphs[6:]
    units = build_units(parse_document(text), "R")
    paras = [u for u in units if u.kind == "paragraph"]
    assert [u.label for u in paras] == ["¶1", "¶2", "¶3", "¶4"]  # the appendix is not ¶5, ¶6
    assert "(a) how development" in paras[1].text and "(b) how the Office" in paras[1].text
    assert paras[1].footnotes == (1,) and paras[2].section == ("I. Introduction", "Next steps")
    bullets = [u for u in units if u.kind == "deliverable"]  # bullets are listed, not numbered
    assert [u.text for u in bullets] == [doc.paragraphs[9][2:], doc.paragraphs[10][2:]]


def test_docx_number_both_typed_and_automatic_is_written_once(tmp_path):
    d = docx.Document()
    d.add_paragraph("1. The number is typed as well as drawn by Word.", style="List Number")
    d.add_paragraph("Drawn by Word only.", style="List Number")
    d.add_paragraph("Numbering turned off on this paragraph.", style="List Number")
    d.paragraphs[-1]._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = 0
    d.add_paragraph("Not numbered.")
    d.save(tmp_path / "n.docx")
    assert convert(tmp_path / "n.docx").text.splitlines() == [
        "1. The number is typed as well as drawn by Word.",
        "2. Drawn by Word only.",
        "Numbering turned off on this paragraph.",
        "Not numbered.",
    ]


def test_docx_with_broken_numbering_gives_a_clear_error(tmp_path):
    import zipfile

    d = docx.Document()
    d.add_paragraph("Drawn by Word.", style="List Number")
    d.save(tmp_path / "ok.docx")
    with zipfile.ZipFile(tmp_path / "ok.docx") as src, zipfile.ZipFile(tmp_path / "bad.docx", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/numbering.xml":
                data = data.replace(b'w:ilvl="0"', b'w:ilvl="zero"')
            dst.writestr(item, data)
    with pytest.raises(FormatError, match="could not read this DOCX file"):
        convert(tmp_path / "bad.docx")


def test_pdf_without_numbered_paragraphs_is_cited_by_page_and_order(tmp_path):
    pdf = tmp_path / "review.pdf"
    layout = write_pdf(english_doc(), pdf, page_size=(298, 420))
    assert layout["split_paragraphs"] >= 1
    units = build_units(parse_document(convert(pdf).text), "R")
    paras = [u for u in units if u.kind == "paragraph"]
    # ¶1 starts on page 1 and runs onto page 2; the second starts on page 2 and runs over two page breaks
    assert [u.label for u in paras] == ["p. 1 ¶1", "p. 2 ¶1", "p. 4 ¶1"]
    long = next(u for u in paras if "run across a page break" in u.text)
    assert nospace(long.text) == nospace(LONG)
    assert long.id == f"R:pg{long.page}.{long.item}" and long.label == f"p. {long.page} ¶{long.item}"
    note = next(u for u in units if u.kind == "footnote")
    assert note.label == "fn 1" and note.cited_by == (paras[0].id,) and note.symbols == ("GB.334/INS/4",)
    assert paras[0].section == ("Background",) and paras[-1].section == ("Next steps",)
    assert [u.id for u in build_units(parse_document(convert(pdf).text), "R")] == [u.id for u in units]  # stable
    info = prepare(pdf).info
    assert (info.id, info.symbol, info.title, info.language) == (
        "GB.335-INS-9",
        "GB.335/INS/9",
        "Country programmes: a review",
        "en",
    )
    assert info.session == "335th Session of the Governing Body"


@pytest.mark.parametrize("width", [70, 80])
def test_text_without_numbered_paragraphs_hard_wrapped(width):
    """The review as plain text cut at 70 or 80 characters: its paragraphs and footnote come back whole."""
    from test_parse import hard_wrap

    doc = english_doc()
    text = "\n".join(doc.paragraphs + [f"¹ {NOTE}"])
    reference = build_units(parse_document(text), "R")
    got = build_units(parse_document(hard_wrap(text, width)), "R")
    assert [u.label for u in got] == [u.label for u in reference] == ["p. 1 ¶1", "p. 1 ¶2", "p. 1 ¶3", "fn 1"]
    assert [nospace(u.text) for u in got] == [nospace(u.text) for u in reference]
    assert [u.section for u in got] == [u.section for u in reference]


def test_docx_page_breaks_and_superscript_footnotes(tmp_path):
    path = write_docx(english_doc(), tmp_path / "review.docx", page_break_after=1)
    units = build_units(parse_document(convert(path).text), "R")
    labels = [u.label for u in units]
    assert labels == ["p. 1 ¶1", "fn 1", "p. 2 ¶1", "p. 2 ¶2"]
    assert units[0].footnotes == (1,) and units[1].cited_by == (units[0].id,)


def test_docx_with_word_footnotes(plan_text, plan_units, tmp_path):
    """Footnotes as Word keeps them (footnotes.xml): each becomes a footnote line after its paragraph."""
    review = build_units(
        parse_document(convert(write_docx_word_footnotes(english_doc(), tmp_path / "r.docx")).text), "R"
    )
    assert [u.label for u in review] == ["p. 1 ¶1", "fn 1", "p. 1 ¶2", "p. 1 ¶3"]
    assert review[1].text == NOTE and review[1].cited_by == (review[0].id,)
    plan = write_docx_word_footnotes(plan_doc(plan_text), tmp_path / "plan.docx")
    same_units(plan_units, build_units(parse_document(convert(plan).text), "GB.334-INS-3-1"))


def test_html_and_markdown(tmp_path):
    doc = english_doc()
    html = convert(write_html(doc, tmp_path / "review.html"))
    assert html.meta == {"title": "Country programmes: a review", "language": "en", "date": "2019-03-01"}
    assert "Home | Menu" not in html.text and "<p>no</p>" not in html.text  # navigation and scripts dropped
    md = convert(write_markdown(doc, tmp_path / "review.md"))
    assert md.meta["title"] == "Country programmes: a review"
    for converted in (html, md):
        units = build_units(parse_document(converted.text), "R")
        paras = [u for u in units if u.kind == "paragraph"]
        assert len(paras) == 3 and paras[0].footnotes == (1,)
        assert next(u for u in units if u.kind == "footnote").text == NOTE
        assert nospace(paras[1].text) == nospace(LONG)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>>\ngarbage", "not a readable PDF"),
        ("empty.txt", b"", "the file is empty"),
        ("blank.md", b"\n\n   \n", "no text could be extracted"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported file type '.xlsx'"),
        ("fake.docx", b"this is not a zip", "not a valid DOCX file"),
        ("latin1.txt", "Résumé du rapport.".encode("latin-1"), "not UTF-8"),
    ],
)
def test_broken_files_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError, match=re.escape(message)):
        convert(path)
    with pytest.raises(CorpusError, match=re.escape(name)):
        prepare(path)
