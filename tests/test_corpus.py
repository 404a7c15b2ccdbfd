"""Several documents: ingest files of each format, replace and remove them, ask one document or all;
only the changed document is re-indexed; a bad file leaves corpus and index as they were.

Real e5-small embeddings and real Chroma, through the command line's own entry point."""

from __future__ import annotations

import json
import re

import pytest
from conftest import copy_corpus
from docgen import Doc, write_docx, write_markdown, write_pdf
from test_formats import LOREM, english_doc

from assistant.config import load_settings
from assistant.engine import Engine, InvalidQuestion
from assistant.interfaces.brief import build_briefing, to_markdown
from assistant.interfaces.cli import main
from assistant.search.index import build_index, load_index, read_current

PLAN = "GB.334-INS-3-1"
NOTE_TEXT = "Governing Body documents GB.334/INS/4 and GB.334/PFA/1."
REVIEW = "GB.335-INS-9"  # english_doc(): its symbol is in the PDF's running header
UN_REFORM = "GB.334-INS-4"  # cited by the plan's footnotes 2, 5, 10 and 14, and by the review's footnote


@pytest.fixture(scope="module")
def settings(tmp_path_factory, monkeypatch_module):
    tmp = tmp_path_factory.mktemp("multi")
    monkeypatch_module.setenv("ILO_EMBED_MODEL", "e5-small")
    s = load_settings(corpus_dir=copy_corpus(tmp / "corpus"), index_dir=tmp / "index", embed_model="e5-small")
    build_index(s, progress=False)
    return s


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def cli(s, *args) -> int:
    return main(["--corpus", str(s.corpus_dir), "--index", str(s.index_dir), *args])


def snapshot(s) -> tuple:
    files = sorted(p.name for p in s.corpus_dir.iterdir())
    return (s.corpus_dir / "manifest.json").read_bytes(), (s.index_dir / "current.json").read_bytes(), files


def embedded(out: str) -> int:
    return int(re.search(r"(\d+) texts embedded", out).group(1))


def test_bad_files_leave_corpus_and_index_untouched(settings, tmp_path, capsys):
    before = snapshot(settings)
    build = load_index(settings).build_id
    cases = {
        "broken.pdf": (b"%PDF-1.7\n1 0 obj <</Type /Catalog>>\ngarbage", 1, "not a readable PDF"),
        "empty.txt": (b"", 1, "the file is empty"),
        "sheet.xlsx": (b"PK\x03\x04", 2, "unsupported file type"),
    }
    for name, (content, status, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert cli(settings, "ingest", str(path)) == status, name
        err = capsys.readouterr().err
        assert message in err and name in err and "Traceback" not in err
    # a good file beside a broken one: nothing is added either
    good = tmp_path / "review.pdf"
    write_pdf(english_doc(), good, page_size=(298, 420))
    assert cli(settings, "ingest", str(good), str(tmp_path / "broken.pdf")) == 1
    assert cli(settings, "remove", "NO-SUCH-DOC") == 1
    assert "no document NO-SUCH-DOC" in capsys.readouterr().err
    assert snapshot(settings) == before  # manifest bytes, active build and corpus files identical
    assert load_index(settings).build_id == build


def test_add_ask_link_replace_remove(settings, tmp_path, capsys):
    s = settings
    plan_version = read_current(s.index_dir)["documents"][0]["ver"]

    # Add a PDF: only its texts are embedded, the plan's records are not touched.
    pdf = tmp_path / "review.pdf"
    write_pdf(english_doc(), pdf, page_size=(298, 420))
    assert cli(s, "ingest", str(pdf), "--date", "2019-03") == 0
    out = capsys.readouterr().out
    assert f"added {REVIEW} (GB.335/INS/9, en, 4 units)" in out and "1 document(s) indexed" in out
    ix = load_index(s)
    texts = {x["text"] for x in ix.sentences if x["unit"].startswith(REVIEW + ":")}  # its sentences (unit_vectors)
    assert embedded(out) == len(texts)
    current = read_current(s.index_dir)
    assert [d["info"]["id"] for d in current["documents"]] == [PLAN, REVIEW]
    assert current["documents"][0]["ver"] == plan_version
    manifest = json.loads((s.corpus_dir / "manifest.json").read_text(encoding="utf-8"))["documents"]
    added = manifest[1].pop("added")  # when it was added, UTC (the Documents tab and GET /v1/documents show it)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", added) and manifest[0]["added"] == ""
    assert manifest[1] == {
        "id": REVIEW,
        "symbol": "GB.335/INS/9",
        "title": "Country programmes: a review",
        "language": "en",
        "source": f"{REVIEW}.en.pdf",
        "title_en": "",
        "session": "335th Session of the Governing Body",
        "date": "2019-03",
    }
    assert (s.corpus_dir / f"{REVIEW}.en.pdf").read_bytes() == pdf.read_bytes()
    assert cli(s, "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(f"{PLAN}\tGB.334/INS/3/1\tzh") and "74 units" in listed[0]
    assert listed[1].startswith(f"{REVIEW}\tGB.335/INS/9\ten\t2019-03\t4 units\tCountry programmes")

    # Ask one document or all; citations name their document.
    engine = Engine(s)
    q = "How are decent work country programmes designed?"
    only = engine.ask(q, doc=REVIEW)
    assert only.answered and {c.unit.doc for c in only.citations} == {REVIEW}
    assert only.answer.startswith("According to GB.335/INS/9:\n")  # an English text is not "quoted from the Chinese"
    # A refusal names what the assistant answers from (the thresholds are EmbeddingGemma's, so this
    # e5-small index is made to refuse by a strict one).
    strict = Engine(s.model_copy(update={"refusal_threshold_en": 0.99}), index=engine.index, embedder=engine.embedder)
    nothing = "What is the recipe for pork dumplings?"
    assert "the 2 documents in the corpus (GB.334/INS/3/1 and GB.335/INS/9)" in strict.ask(nothing).answer
    assert "only from GB.335/INS/9 and" in strict.ask(nothing, doc=REVIEW).answer
    assert {r["id"].split(":")[0] for r in only.retrieved} == {REVIEW}
    plan_only = engine.ask(q, doc=PLAN)
    assert {r["id"].split(":")[0] for r in plan_only.retrieved} == {PLAN}
    both = engine.ask(q)
    assert {r["id"].split(":")[0] for r in both.retrieved} == {PLAN, REVIEW}
    assert cli(s, "ask", q, "--doc", REVIEW) == 0
    printed = capsys.readouterr().out
    assert re.search(rf"\[p\. \d ¶\d\] {REVIEW} — ", printed)
    batch, answers = tmp_path / "batch.jsonl", tmp_path / "answers.jsonl"
    lines = [{"id": "all", "question": q}, {"id": "one", "question": q, "doc": REVIEW}]
    batch.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    assert cli(s, "ask", "--batch", str(batch), "--output", str(answers)) == 0
    got = {a["id"]: a for a in map(json.loads, answers.read_text(encoding="utf-8").splitlines())}
    assert {c["doc"] for c in got["one"]["citations"]} == {REVIEW}
    assert {r["id"].split(":")[0] for r in got["all"]["retrieved"]} == {PLAN, REVIEW}
    assert cli(s, "ask", q, "--doc", "GB.999-X") == 1
    assert "no document 'GB.999-X'" in capsys.readouterr().err
    assert engine.ask("What does paragraph 12 say?").citations[0].unit.id == f"{PLAN}:p12"  # the first document's

    # Symbols link to corpus documents: GB.334/INS/4 is not in the corpus yet.
    note = engine.index.by_id[f"{REVIEW}:fn1"]
    assert note.links == (("GB.334/INS/4", None),)
    a = engine.ask("Which paper is cited about the reform of the United Nations development system?", doc=REVIEW)
    assert {"symbol": "GB.334/INS/4", "doc": None} in [x for c in a.to_dict()["citations"] for x in c["links"]]

    # Add GB.334/INS/4 (a Markdown file, symbol given on the command line): the links resolve.
    un = Doc(
        ["UN reform", "The reform of the United Nations development system repositions resident coordinators. " + LOREM]
    )
    md = write_markdown(un, tmp_path / "un-reform.md")
    assert cli(s, "ingest", str(md), "--symbol", "GB.334/INS/4", "--title", "UN reform", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert f"added {UN_REFORM}" in out and "1 document(s) indexed" in out
    engine = Engine(s)
    assert engine.index.by_id[f"{REVIEW}:fn1"].links == (("GB.334/INS/4", UN_REFORM),)
    assert engine.index.by_id[f"{PLAN}:fn2"].links == (("GB.334/INS/4", UN_REFORM),)
    assert engine.index.by_id[f"{PLAN}:fn3"].links == (("GB.334/PFA/1", None),)
    assert cli(s, "ask", "脚注2说了什么") == 0
    printed = capsys.readouterr().out
    assert f"GB.334/INS/4: in the corpus as {UN_REFORM}" in printed
    assert cli(s, "ask", "脚注3说了什么") == 0
    assert "GB.334/PFA/1: not in the corpus" in capsys.readouterr().out
    # A question naming a corpus document's symbol is about that document.
    a = engine.ask("What does GB.334/INS/4 say about resident coordinators?")
    assert a.answered and {c.unit.doc for c in a.citations} == {UN_REFORM}

    # The briefing note's papers to read next say which are in the corpus.
    papers = {symbol: present for symbol, _, present in build_briefing(engine, "UN reform").papers}
    assert papers["GB.334/INS/4"] is True and papers["GB.334/PFA/1"] is False
    assert "- GB.334/INS/4 (in the corpus;" in to_markdown(build_briefing(engine, "UN reform"))
    # A note can draw on one document only.
    only_un = build_briefing(engine, "UN reform", doc=UN_REFORM)
    assert only_un.messages and {u.doc for u in only_un.cited} == {UN_REFORM}
    assert [d.symbol for d in only_un.sources] == ["GB.334/INS/4"]
    with pytest.raises(InvalidQuestion, match="no document 'GB.999-X'"):
        build_briefing(engine, "UN reform", doc="GB.999-X")

    # Replace it (a DOCX this time, same symbol): only the changed texts are embedded.
    un.paragraphs[1] = un.paragraphs[1].replace("repositions resident coordinators", "empowers resident coordinators")
    docx = write_docx(un, tmp_path / "un-reform.docx")
    assert cli(s, "ingest", str(docx), "--symbol", "GB.334/INS/4", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert f"replaced {UN_REFORM}" in out and "1 document(s) indexed" in out
    assert 1 <= embedded(out) <= 2  # the changed paragraph and its changed sentence
    assert not (s.corpus_dir / f"{UN_REFORM}.en.md").exists() and (s.corpus_dir / f"{UN_REFORM}.en.docx").exists()
    reader = Engine(s)
    assert "empowers" in reader.ask("What does GB.334/INS/4 say about resident coordinators?").answer

    # Remove it: nothing is embedded, the links fall back to "not in the corpus".
    assert cli(s, "remove", UN_REFORM) == 0
    capsys.readouterr()
    current = read_current(s.index_dir)
    assert [d["info"]["id"] for d in current["documents"]] == [PLAN, REVIEW]
    assert current["documents"][0]["ver"] == plan_version
    assert not (s.corpus_dir / f"{UN_REFORM}.en.docx").exists()
    engine = Engine(s)
    assert engine.index.by_id[f"{PLAN}:fn2"].links == (("GB.334/INS/4", None),)
    assert not [u for u in engine.index.units if u.doc == UN_REFORM]
    assert build_index(s, progress=False).unchanged
    # A reader that loaded the build before the removal still answers from it (its records are kept
    # until the next build), and the next build drops them.
    assert "empowers" in reader.ask("What does GB.334/INS/4 say about resident coordinators?").answer


def test_rendered_citations_name_documents_and_link_symbols():
    """The chat window's HTML: citation links name their document when there are several; a cited
    paper in the corpus is a link that opens it, one that is not says so."""
    from assistant.documents.units import Unit
    from assistant.interfaces import render

    note = Unit(
        id=f"{REVIEW}:fn1",
        doc=REVIEW,
        kind="footnote",
        label="fn 1",
        text=NOTE_TEXT,
        order=1,
        footnote=1,
        symbols=("GB.334/INS/4", "GB.334/PFA/1"),
        links=(("GB.334/INS/4", UN_REFORM), ("GB.334/PFA/1", None)),
    )
    target = Unit(id=f"{UN_REFORM}:pg1.1", doc=UN_REFORM, kind="paragraph", label="p. 1 ¶1", text="…", order=0)
    panel = render.source_html(note, {u.id: u for u in (target, note)})
    assert f'href="#cite:{UN_REFORM}:pg1.1"' in panel and ">GB.334/INS/4</a>" in panel
    assert "GB.334/PFA/1 (not in the corpus" in panel
    answer = {"answer": "A. [fn 1] B. [¶12]", "citations": [note.to_dict() | {"label": "fn 1"}]}
    answer["citations"].append({"id": f"{PLAN}:p12", "doc": PLAN, "label": "¶12"})
    named = render.answer_html(answer, {REVIEW: "GB.335/INS/9", PLAN: "GB.334/INS/3/1"})
    assert ">GB.335/INS/9 fn 1</a>" in named and ">GB.334/INS/3/1 ¶12</a>" in named
    assert ">fn 1</a>" in render.answer_html(answer)  # one document: labels alone, as before


@pytest.mark.parametrize("existing", [True, False])
def test_ingest_into_an_empty_corpus_starts_the_manifest(tmp_path, monkeypatch, capsys, existing):
    corpus = tmp_path / "corpus"
    if existing:
        corpus.mkdir()
    monkeypatch.setenv("ILO_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ILO_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ILO_EMBED_MODEL", "e5-small")
    review = write_markdown(english_doc(), tmp_path / "review.md")
    assert main(["ingest", str(review), "--quiet"]) == 0, capsys.readouterr().err
    assert "added review" in capsys.readouterr().out
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert [(d["id"], d["source"], d["language"]) for d in manifest] == [("review", "review.en.md", "en")]
    assert (corpus / "review.en.md").read_bytes() == review.read_bytes()
    assert main(["list"]) == 0 and "review" in capsys.readouterr().out
