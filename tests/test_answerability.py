"""The answerability model: fitted for one paper, it refuses what that paper leaves unanswered and judges
nothing else (another document, a changed text). Engine tests use the real index and the fitted model in
corpus/answerability.json; their questions are paraphrases, not gold questions."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.search import answerability as A


def test_the_fit_separates_what_it_was_shown():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.5, (40, 3)), rng.normal(-1, 0.5, (10, 3))])
    y = np.array([1.0] * 40 + [0.0] * 10)
    w, b = A.fit_logistic(x, y, l2=0.1)
    model = A.AnswerabilityModel("d", "f", "m", np.append(w[:-1], w[-1]), b, 0.5)
    assert all(model.unanswered(v[:-1], v[-1]) > 0.5 for v in x[:40])
    assert all(model.unanswered(v[:-1], v[-1]) < 0.5 for v in x[40:])  # the smaller class counts as much


def test_it_judges_only_its_paper_unchanged_and_its_model(tmp_path):
    model = A.AnswerabilityModel("GB.334-INS-3-1", "abc", "embeddinggemma", np.zeros(3), 0.0, 0.5)
    assert model.judges({"GB.334-INS-3-1"}, "abc", "embeddinggemma")
    assert not model.judges({"GB.334-INS-3-1", "ILC.107"}, "abc", "embeddinggemma")  # another document quoted
    assert not model.judges({"GB.334-INS-3-1"}, "changed", "embeddinggemma")  # the paper was corrected
    assert not model.judges({"GB.334-INS-3-1"}, "abc", "e5-small")  # another embedding model's vectors
    path = tmp_path / A.FILE
    path.write_text(model.to_json())
    loaded = A.load(path)
    assert (loaded.doc, loaded.fingerprint, loaded.threshold) == ("GB.334-INS-3-1", "abc", 0.5)
    assert np.array_equal(loaded.weights, model.weights)
    path.write_text("{broken")
    assert A.load(path) is None and A.load(tmp_path / "missing.json") is None


def test_the_fingerprint_changes_with_any_unit_text():
    from assistant.config import ROOT
    from assistant.documents.corpus import load_corpus

    _, units = load_corpus(ROOT / "corpus")
    changed = [units[0].__class__(**{**units[0].__dict__, "text": units[0].text + "。"})] + units[1:]
    assert A.fingerprint(units) != A.fingerprint(changed)


@pytest.mark.parametrize(
    "question",
    [
        "Which office of the ILO conducts the 2019 evaluation of public-private partnerships?",
        "体面劳动国别计划通常的有效期是多长时间？",
        "雇主组织可以直接申请创新融资机制的资金吗？",
    ],
)
def test_the_paper_s_model_refuses_what_no_pattern_catches(engine, question):
    """D2.2 names the evaluation but not who carries it out; ¶16 says nothing of a DWCP's term; D2.1 nothing
    of who may apply. No answer-type pattern catches these; the fitted model does, naming the closest unit."""
    off = engine.__class__(
        engine.settings.model_copy(update={"answerability": False}), index=engine.index, embedder=engine.embedder
    )
    assert off.ask(question).answered  # answered by similarity and the patterns alone
    a = engine.ask(question)
    assert not a.answered and a.citations == [] and a.related


def test_the_model_leaves_answerable_questions_alone(engine):
    for q in ("Which deliverable concerns South-South cooperation?", "第 16 段提到的试点在几个国家开展？"):
        assert engine.ask(q).answered, q


def test_doctor_says_when_the_model_no_longer_fits_its_paper(tmp_path):
    """Staff correct ¶12: the model fitted on the earlier text is not used, and doctor says how to refit it."""
    from conftest import copy_corpus

    from assistant.config import load_settings
    from assistant.interfaces.doctor import check_answerability

    corpus = copy_corpus(tmp_path / "corpus")
    s = load_settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    assert [c.ok for c in check_answerability(s)] == [True]
    path = next(corpus.glob("*.zh.txt"))
    text = path.read_text(encoding="utf-8")
    p12 = next(line for line in text.splitlines() if line.startswith("12. "))
    path.write_text(text.replace(p12, p12 + "此句为更正后新增。"), encoding="utf-8")
    [check] = check_answerability(s)
    assert not check.ok and "changed since the model was fitted" in check.what
    assert "eval/fit_answerability.py" in check.todo
