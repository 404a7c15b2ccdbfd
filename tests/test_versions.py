"""Language versions: an official version is aligned unit by unit or refused; English questions are answered
from the English version (official before machine translation), citing the same ¶ numbers; machine
translation is checked, labelled and resumable.

Real parser, real Chroma and e5-small embeddings, the real CLI; SmolLM2 through llama.cpp for translation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import copy_corpus
from docgen import english_version_text

from assistant.config import ROOT, load_settings
from assistant.documents.corpus import CorpusError, load_corpus
from assistant.documents.terms import load_terms, paper_acronyms, term_used, terms_in
from assistant.documents.versions import (
    Version,
    details,
    missing_details,
    official_version,
    read_versions,
    write_version,
)
from assistant.engine import Engine
from assistant.interfaces.cli import main
from assistant.search.index import build_index
from assistant.translation.translate import Checked, clean_output

PLAN = "GB.334-INS-3-1"
ODA = "Official development assistance alone cannot finance the Sustainable Development Goals"


def test_details_are_compared_across_languages():
    zh = "在其第 107 届会议(2018 年 6 月)上，十三项成果，见 GB.332/INS/5，占 50%。"
    en = "At its 107th Session (June 2018), thirteen 13 deliverables, see GB.332/INS/5, 50 per cent."
    assert missing_details(zh, en) == []
    assert missing_details(zh, en.replace("2018", "2019")) == ["2018"]
    assert missing_details(zh, en.replace("June", "July")) == ["month:6"]
    assert details("理事会文件 GB.329/POL/5。")["symbol:GB.329/POL/5"] == 1
    # Chinese text often writes numbers against the characters: 自2016年以来, 2012-17年期间.
    assert missing_details("自2016年以来，公布了2012-17年期间的数据", "Since 2016, data for 2012-17") == []
    assert missing_details("自2016年以来", "Since 2015") == ["2016"]


def test_alignment_refuses_a_version_with_a_missing_paragraph(plan_text, tmp_path):
    _, units = load_corpus(ROOT / "corpus")
    ok = tmp_path / "en.txt"
    ok.write_text(english_version_text(plan_text), encoding="utf-8")
    assert len(official_version(ok, units, PLAN, "en").texts) == len(units)

    missing = tmp_path / "missing.txt"
    missing.write_text(english_version_text(plan_text, drop=("p7",)), encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        official_version(missing, units, PLAN, "en")
    assert "¶7: missing from this version" in str(e.value)
    assert "units: the original has 74 units, this version" in str(e.value)


def test_alignment_reports_a_changed_year_unit_by_unit(plan_text, tmp_path):
    _, units = load_corpus(ROOT / "corpus")
    text = english_version_text(plan_text).replace(
        "1. English text of the unit p1, which concerns the plan of action: 107 2018",
        "1. English text of the unit p1, which concerns the plan of action: 107 2017",
    )
    path = tmp_path / "en.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as e:
        official_version(path, units, PLAN, "en")
    assert "¶1: lacks 2018; has 2017 that the original lacks" in str(e.value)


def test_term_base_names_every_acronym_the_paper_defines(plan_text):
    terms = load_terms(ROOT / "corpus")
    english = {e.lower() for t in terms for e in t.en}
    acronyms = {acronym for _, acronym in paper_acronyms(plan_text)}
    assert acronyms and all(a.lower() in english for a in acronyms), acronyms - english
    # The longest Chinese form wins: the Deputy Director-General is not just "Director-General".
    found = terms_in("主管外地办事机构和伙伴关系的副局长负责", terms)
    assert [t.preferred for t in found] == ["Deputy Director-General for Field Operations and Partnerships"]
    assert not term_used(found[0], "the Director-General's Office of the Regional Office and Partnerships")


def test_translation_checks_name_what_failed():
    c = Checked("u", "理事会文件 GB.329/POL/5（2017 年）。", "Governing Body reference意见 paper (2016).")
    c.missing = missing_details(c.source, c.text)
    c.cjk, c.terms_missing = 2, ["Governing Body"]
    failures = c.failures("en", 0.7)
    assert any("GB.329/POL/5" in f and "2017" in f for f in failures)
    assert any("no Chinese" in f for f in failures)
    assert clean_output('English: "The Office will report."\n\nNote: literal.') == "The Office will report."


@pytest.fixture(scope="module")
def e5_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ILO_EMBED_MODEL", "e5-small")  # what the CLI reads
        yield


@pytest.fixture(scope="module")
def versions_settings(tmp_path_factory, plan_text, e5_env):
    """The plan with a machine translation and an official English version, e5-small embeddings."""
    tmp = tmp_path_factory.mktemp("versions")
    s = load_settings(corpus_dir=copy_corpus(tmp / "corpus"), index_dir=tmp / "index", embed_model="e5-small")
    _, units = load_corpus(s.corpus_dir)
    machine = {u.id: f"Machine translated text of {u.label}." for u in units}
    write_version(s.corpus_dir, Version(PLAN, "en", machine, "machine translation by test-model"))
    official = tmp / "GB.334-INS-3-1.en.txt"
    official.write_text(english_version_text(plan_text, {"p19": ODA}), encoding="utf-8")
    args = ["--corpus", str(s.corpus_dir), "--index", str(s.index_dir)]
    assert main([*args, "ingest", str(official), "--version-of", "GB.334/INS/3/1", "--lang", "en", "--quiet"]) == 0
    return s


def test_an_official_version_answers_english_questions_before_the_machine_translation(versions_settings):
    versions = read_versions(versions_settings.corpus_dir, PLAN)
    assert versions["en"].official
    kept = versions_settings.corpus_dir / "versions" / versions["en"].meta["source"]
    assert ODA in kept.read_text(encoding="utf-8")  # the official file is kept beside its version
    engine = Engine(versions_settings)
    a = engine.ask("Why can official development assistance alone not finance the Sustainable Development Goals?")
    d = a.to_dict()
    assert a.answered and d["answer"].startswith("According to GB.334/INS/3/1 (official English version):")
    assert "[¶19]" in d["answer"] and ODA in d["answer"]
    assert "Machine translated" not in d["answer"]
    p19 = next(c for c in d["citations"] if c["label"] == "¶19")
    assert p19["language"] == "en" and ODA in p19["text"]
    assert set(p19["texts"]) == {"zh", "en"} and p19["official"] == ["zh", "en"]
    assert "官方发展援助" in p19["texts"]["zh"]

    lookup = engine.ask("What does paragraph 19 say?").to_dict()
    assert lookup["answer"].startswith("The text of ¶19 (official English version):") and ODA in lookup["answer"]
    chinese = engine.ask("第19段说了什么？").to_dict()
    assert "官方发展援助" in chinese["answer"] and ODA not in chinese["answer"]
    # No French version: a French reader gets the English text, which more of them read than the Chinese.
    french = engine.ask("Que dit le paragraphe 19 ?").to_dict()
    assert french["language"] == "en" and ODA in french["answer"] and "官方发展援助" not in french["answer"]


def test_an_english_briefing_note_quotes_the_english_version_and_keeps_the_original_in_the_annex(versions_settings):
    from assistant.interfaces.brief import build_briefing, to_markdown

    note = build_briefing(Engine(versions_settings), "official development assistance and the SDGs", write=False)
    md = to_markdown(note)
    messages = md.split("## Key messages")[1].split("##")[0]
    assert ODA in messages and "[¶19]" in messages
    assert "Official version / 正式文本" in md.split("## Key messages")[0]
    annex = md.split("## Annex: cited texts")[1]
    assert "官方发展援助" in annex and ODA not in annex


def test_a_machine_translation_is_quoted_and_labelled_when_there_is_no_official_version(tmp_path):
    s = load_settings(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index", embed_model="e5-small")
    _, units = load_corpus(s.corpus_dir)
    write_version(
        s.corpus_dir,
        Version(PLAN, "en", {u.id: f"Machine text of {u.label}." for u in units}, "machine translation by m1"),
    )
    build_index(s, progress=False)
    d = Engine(s).ask("What does paragraph 12 say?").to_dict()
    assert d["answer"].startswith("The text of ¶12 (machine translation by m1; the Chinese original is authoritative):")
    c = d["citations"][0]
    assert (
        c["text"] == "Machine text of ¶12."
        and c["official"] == ["zh"]
        and c["machine_translation"] == {"en": "machine translation by m1"}
    )


def test_a_misaligned_version_is_refused_and_changes_nothing(versions_settings, plan_text, tmp_path, capsys):
    s = versions_settings
    before = sorted((p.name, p.read_bytes()) for p in (s.corpus_dir / "versions").iterdir())
    current = (s.index_dir / "current.json").read_bytes()
    bad = tmp_path / "bad.en.txt"
    bad.write_text(english_version_text(plan_text, drop=("p7", "fn6")), encoding="utf-8")
    args = ["--corpus", str(s.corpus_dir), "--index", str(s.index_dir)]
    assert main([*args, "ingest", str(bad), "--version-of", "GB.334/INS/3/1", "--lang", "en", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "¶7: missing from this version" in err and "fn 6: missing from this version" in err
    assert sorted((p.name, p.read_bytes()) for p in (s.corpus_dir / "versions").iterdir()) == before
    assert (s.index_dir / "current.json").read_bytes() == current


SMALL_ZH = """第三项议程

测试文件

1. 理事会在 2018 年审议了发展合作战略。

2. 国际劳工局将于 2019 年 3 月提交一份报告。

3. 三方成员参与了国别计划。
"""


@pytest.mark.slow
def test_translation_with_a_real_model_resumes_after_kill(tmp_path):
    """`translate` with SmolLM2 through llama.cpp: killed after its first sentences, it resumes from the
    cache, and the version it writes is labelled with the model and carries its checks."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.zh.txt").write_text(SMALL_ZH, encoding="utf-8")
    info = {"id": "small", "symbol": "", "title": "测试文件", "language": "zh", "source": "small.zh.txt"}
    (corpus / "manifest.json").write_text(json.dumps({"documents": [info]}), encoding="utf-8")
    env = {
        **os.environ,
        "ILO_CORPUS_DIR": str(corpus),
        "ILO_INDEX_DIR": str(tmp_path / "index"),
        "ILO_EMBED_MODEL": "e5-small",
        "ILO_ANSWER_MODE": "local",
        "ILO_LLM_MODEL": "smollm2-135m",
    }
    cmd = [sys.executable, "-m", "assistant", "translate", "--to", "en", "--no-index", "--quiet"]
    cache = tmp_path / "index" / "cache" / "translations.sqlite"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    import sqlite3

    def cached() -> int:
        try:
            return sqlite3.connect(cache).execute("SELECT count(*) FROM tr").fetchone()[0]
        except sqlite3.Error:
            return 0

    while cached() < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = cached()
    assert done_before >= 1
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout[out.stdout.index("{") :])
    total = summary["sentences"]
    # Every model call stores one output; a run that ignored the cache would redo the outputs stored before
    # the kill (same keys), so its calls would reach the rows stored in all.
    assert total >= 4 and summary["model_calls"] <= cached() - done_before
    version = read_versions(corpus, "small")["en"]
    assert version.provenance == "machine translation by local:smollm2-135m" and not version.official
    assert set(version.texts) == {"small:title", "small:p1", "small:p2", "small:p3"}
    checks = version.meta["sentences"]
    assert all({"missing", "cjk", "similarity", "flagged"} <= set(c) for c in checks)
    assert version.meta["summary"]["sentences"] == total


def test_source_panel_and_document_view_show_the_version_labelled_beside_the_original(plan_text):
    from assistant.documents.versions import attach
    from assistant.interfaces.render import document_html, source_html

    _, units = load_corpus(ROOT / "corpus")
    machine = Version(PLAN, "en", {u.id: f"<Machine> text of {u.label}." for u in units}, "machine translation by m1")
    units = attach(units, {"en": machine})
    by_id = {u.id: u for u in units}
    panel = source_html(by_id[f"{PLAN}:p19"], by_id, ["<Machine> text of ¶19."], "en", "zh")
    assert "Machine translation by m1; the Chinese original is authoritative" in panel
    assert "<mark>&lt;Machine&gt; text of ¶19.</mark>" in panel and "官方发展援助" in panel  # the original beside it
    assert "<Machine>" not in panel

    english = document_html(units, lang="en")
    assert "&lt;Machine&gt; text of ¶19." in english and "官方发展援助" not in english
    assert english.count("Machine translation by m1") == 1  # labelled once, at the top
    both = document_html(units, "text of ¶19", lang="en", both=True)
    assert "1 units match" in both and "&lt;Machine&gt; <mark>text of ¶19</mark>." in both and "官方发展援助" in both


def test_chinese_left_in_a_translation_is_put_into_english_word_by_word():
    from assistant.documents.terms import Term
    from assistant.translation.translate import _replace_chinese

    terms = [Term(("体面劳动国别计划",), ("Decent Work Country Programmes",), "paper")]
    asked = []

    def word(w):
        asked.append(w)
        return "alignment"

    text = _replace_chinese("the对接 of finance and the 体面劳动国别计划", terms, word)
    assert text == "the alignment of finance and the Decent Work Country Programmes"
    assert asked == ["对接"]  # the term base answers what it knows; the model only the rest


def test_term_base_names_written_in_a_variant_are_set_to_the_official_form():
    from assistant.documents.terms import Term, enforce_terms

    ilo = Term(("国际劳工组织",), ("International Labour Organization",), "curated")
    assert enforce_terms("the potential for international labor organizations", [ilo]) == (
        "the potential for International Labour Organization"
    )
    assert enforce_terms("the ILO's labour market", [ilo]) == "the ILO's labour market"  # nothing to set


def test_a_translated_sentence_that_splits_in_two_stays_in_the_place_of_its_source(plan_text):
    """A machine translation is made sentence by sentence; where one Chinese sentence became two English ones,
    the quoted English still traces to its Chinese sentence (for footnotes, the source panel and scoring)."""
    from assistant.answers.answer import Citation
    from assistant.documents.parse import parse_document
    from assistant.documents.units import build_units
    from assistant.documents.versions import attach, sentence_pairs

    units = build_units(parse_document(plan_text), PLAN)
    p10 = next(u for u in units if u.label == "¶10")
    zh = p10.sentences()
    english = [f"Sentence {i + 1} of ¶10." for i in range(len(zh))]
    english[0] = "Its first half. Its second half."  # one source sentence, two English sentences
    records = [{"unit": p10.id, "source": s, "text": t} for s, t in zip(zh, english, strict=True)]
    mt = Version(PLAN, "en", {p10.id: " ".join(english)}, "machine translation by m1", {"sentences": records})
    unit = next(u for u in attach(units, {"en": mt}) if u.id == p10.id)

    assert unit.sentences("en") == english and len(english) < len(unit.version("en")[0].split(". "))
    assert sentence_pairs(unit, "en") == list(zip(zh, english, strict=True))
    quoted = Citation(unit, 0.9, [english[1], english[0]], lang="en", original="zh").to_dict()
    assert quoted["quote_original"] == [zh[1], zh[0]]
    # A version with fewer records than the unit has sentences is split on its own, never forced into place.
    stale = Version(PLAN, "en", mt.texts, mt.provenance, {"sentences": records[1:]})
    assert next(u for u in attach(units, {"en": stale}) if u.id == p10.id).aligned == ()


def test_a_question_naming_a_term_by_another_form_searches_for_every_form():
    """Staff say "Turin Centre"; the translation says "International Training Centre of the ILO"; the Chinese
    says 都灵中心. Keyword search looks for the forms the searched text uses."""
    from assistant.documents.terms import term_synonyms

    terms = load_terms(ROOT / "corpus")
    english = term_synonyms("What role does the Turin Centre play?", terms, "en")
    assert "International Training Centre of the ILO" in english
    assert "都灵中心" in term_synonyms("What role does the Turin Centre play?", terms, None)
    assert "Turin Centre" in term_synonyms("都灵中心的作用是什么？", terms, "en")
    # A single common word is no trigger: "conference" is not the International Labour Conference.
    assert term_synonyms("In which city will the BAPA+40 conference take place?", terms, "en") == []


def test_a_machine_translation_of_an_edited_paragraph_is_not_quoted_and_doctor_names_it(tmp_path, capsys):
    """Staff correct ¶12 in the original after it was translated: English readers get the corrected Chinese
    text, labelled as the original, not a translation of what the paper no longer says; every other unit keeps
    its translation, and `doctor` names the stale unit and the command that re-translates it."""
    corpus = copy_corpus(tmp_path / "corpus")
    path = corpus / f"{PLAN}.zh.txt"
    text = path.read_text(encoding="utf-8")
    p12 = next(line for line in text.splitlines() if line.startswith("12. "))
    path.write_text(text.replace(p12, p12 + "此句为更正后新增。"), encoding="utf-8")
    s = load_settings(corpus_dir=corpus, index_dir=tmp_path / "index", embed_model="e5-small")
    _, units = load_corpus(corpus)
    by_label = {u.label: u for u in units}
    assert by_label["¶12"].version("en") is None and by_label["¶13"].version("en") is not None
    build_index(s, progress=False)
    d = Engine(s).ask("What does paragraph 12 say?").to_dict()
    assert "此句为更正后新增" in d["answer"] and d["citations"][0]["language"] == "zh"
    from assistant.interfaces.doctor import check_index

    stale = [c for c in check_index(s) if not c.ok]
    assert len(stale) == 1 and "¶12" in stale[0].what and "¶13" not in stale[0].what
    assert stale[0].todo == f"run: python -m assistant translate {PLAN} --to en"


def test_removing_a_document_removes_its_language_versions(tmp_path):
    """A paper removed and later added again under the same id must not inherit the old translation."""
    from assistant.documents.corpus import remove_from_corpus

    corpus = copy_corpus(tmp_path / "corpus")
    other = corpus / "versions" / f"{PLAN}-ANNEX.en.mt.json"  # another document whose id starts the same
    other.write_text("{}", encoding="utf-8")
    assert read_versions(corpus, PLAN)
    remove_from_corpus(corpus, [PLAN])
    assert read_versions(corpus, PLAN) == {} and not list((corpus / "versions").glob(f"{PLAN}.*"))
    assert other.exists()
