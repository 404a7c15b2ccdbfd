"""The development/test split and the threshold fitting that may only see the development part."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from assistant.evaluation.harness import (
    FRENCH,
    SPLIT,
    SYNTHETIC,
    UNANSWERABLE,
    UNSEEN,
    breakdown,
    load_gold,
    load_jsonl,
    score,
    split_gap,
)
from assistant.evaluation.split import (
    DEV,
    TEST,
    Point,
    best_threshold,
    cross_validate,
    extend_split,
    make_split,
    read_split,
)


def test_recorded_split_is_the_documented_one_and_covers_every_question():
    gold = load_gold()
    recorded = read_split(SPLIT)
    hand = {q: p for q, p in recorded.items() if q in {g["id"] for g in gold}}
    assert hand == make_split(gold), "eval/gold/split.json no longer matches make_split: re-record it on purpose"
    for path in (UNANSWERABLE, SYNTHETIC, UNSEEN):
        extra = load_jsonl(path) if path.exists() else []
        assert {g["id"] for g in extra} <= set(recorded)
        assert {recorded[g["id"]] for g in extra} <= {DEV, TEST}
    french = load_jsonl(FRENCH)
    assert {recorded[g["id"]] for g in french} == {DEV}
    assert {g["translated_from"] for g in french} <= {q for q, p in recorded.items() if p == DEV}


def test_only_questions_the_audit_found_fair_are_scored_and_their_gold_is_real_units():
    from assistant.documents.corpus import load_corpus

    units = {u.id for u in load_corpus(Path(__file__).resolve().parents[1] / "corpus")[1]}
    every = load_jsonl(SYNTHETIC)
    scored = load_gold(SYNTHETIC)
    verdicts = Counter(g["audit"]["verdict"] for g in every)
    assert set(verdicts) == {"fair", "vague", "unanswered"}
    assert [g["id"] for g in scored] == [g["id"] for g in every if g["audit"]["verdict"] == "fair"]
    assert all(g["gold"] and set(g["gold"]) <= units for g in scored)
    assert all(g["generated_from"] for g in every)
    parts = Counter(read_split(SPLIT)[g["id"]] for g in scored)
    assert parts[DEV] >= 50 and parts[TEST] >= 50


def test_both_parts_hold_each_language_and_unanswerable_questions():
    gold = load_gold()
    split = make_split(gold)
    kinds = Counter((g["language"], g["answerable"], split[g["id"]]) for g in gold)
    for lang in ("zh", "en"):
        for answerable in (True, False):
            assert kinds[(lang, answerable, DEV)] >= 5
            assert kinds[(lang, answerable, TEST)] >= 5


def test_adding_questions_moves_no_recorded_question():
    gold = load_gold()
    before = make_split(gold)
    extra = [dict(gold[0], id=f"new{i}") for i in range(7)]
    after = extend_split(before, gold + extra)
    assert {q: after[q] for q in before} == before
    assert {after[f"new{i}"] for i in range(7)} == {DEV, TEST}


def test_threshold_separates_and_sits_mid_gap():
    points = [Point(0.1, False), Point(0.2, False), Point(0.5, True), Point(0.6, True)]
    t = best_threshold(points)
    assert 0.2 < t < 0.5


def test_threshold_respects_later_checks():
    # An unanswerable question with high evidence that a later check (answer type) refuses anyway should
    # not pull the threshold above the answerable ones.
    points = [Point(0.3, True), Point(0.35, True), Point(0.7, False, passes_later_checks=False), Point(0.1, False)]
    t = best_threshold(points)
    assert 0.1 < t <= 0.3


def test_cross_validation_reports_held_out_accuracy():
    points = [Point(i / 20, i >= 8) for i in range(20)]
    r = cross_validate(points, folds=5)
    assert r["cv_accuracy"] >= 0.9 and len(r["fold_thresholds"]) == 5 and 0.35 < r["threshold"] < 0.4


def test_rows_carry_their_part_and_the_report_gives_the_gap():
    gold = [
        {"id": "a", "question": "q", "language": "en", "category": "factual", "answerable": True, "gold": ["d:p1"]},
        {"id": "b", "question": "q", "language": "en", "category": "factual", "answerable": True, "gold": ["d:p1"]},
    ]
    answers = [
        {"id": "a", "answered": True, "answer": "x [¶1]", "retrieved": [{"id": "d:p1"}], "citations": []},
        {"id": "b", "answered": True, "answer": "x [¶1]", "retrieved": [{"id": "d:p9"}], "citations": []},
    ]
    rows = score(gold, answers, split={"a": DEV, "b": TEST})
    assert [r["split"] for r in rows] == [DEV, TEST]
    results = breakdown(rows)
    assert split_gap(results, ["hit@1"]) == {"hit@1": -1.0}
    assert results["split=test language=en"]["hit@1"]["mean"] == 0.0


def test_gold_sentence_quoted_needs_the_fact_in_a_quote_from_a_gold_unit():
    from assistant.evaluation.harness import gold_sentence_quoted

    facts = [{"zh": "2019 年 3 月", "en": "March 2019"}]
    right = {"citations": [{"id": "d:d2.1", "quote": ["It may be presented in March 2019."]}]}
    wrong_sentence = {"citations": [{"id": "d:d2.1", "quote": ["Submit an overview of financing mechanisms."]}]}
    wrong_unit = {"citations": [{"id": "d:p10", "quote": ["in March 2019"]}]}
    assert gold_sentence_quoted(right, {"d:d2.1"}, facts) == 1.0
    assert gold_sentence_quoted(wrong_sentence, {"d:d2.1"}, facts) == 0.0
    assert gold_sentence_quoted(wrong_unit, {"d:d2.1"}, facts) == 0.0
    assert gold_sentence_quoted(right, {"d:d2.1"}, []) is None
