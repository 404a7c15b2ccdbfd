"""Synthetic gold questions: what the round-trip check keeps, and the generation path with a real model."""

from __future__ import annotations

import re

import pytest

from assistant.config import ROOT
from assistant.evaluation.synthetic import Candidate, as_gold, generate, parse_pairs, round_trip

P19 = "仅靠官方发展援助无法为实现可持续发展目标提供所需的资金，因此需要动员国内资源和私营部门的投资。"


def test_model_replies_are_read_as_question_answer_pairs():
    raw = (
        "Q: 为什么仅靠官方发展援助不够？\nA: 无法为实现可持续发展目标提供所需的资金\n\nQ: 还需要动员什么？\nA: 国内资源"
    )
    assert parse_pairs(raw) == [
        ("为什么仅靠官方发展援助不够？", "无法为实现可持续发展目标提供所需的资金"),
        ("还需要动员什么？", "国内资源"),
    ]


@pytest.mark.parametrize(
    "question, answer, why",
    [
        ("为什么仅靠官方发展援助不够？", "无法为实现可持续发展目标提供所需的资金", ""),
        ("除了官方发展援助，还需要哪些资金来源？", "国内资源和私营部门的投资", ""),
        ("Why is ODA alone not enough?", "所需的资金", "wrong language"),
        ("官方发展援助够不够", "无法", "not a question"),
        ("本段说了什么？", "国内资源", "points at the passage"),
        ("这些资金从哪里来？", "国内资源", "points at the passage"),
        ("为什么至关重要？", "所需的资金", "too short to name its subject"),
        ("需要动员哪些资源？", "国际金融机构的贷款", "answer not in the passage"),
        ("除了援助还需要什么？", "动员国内资源和私营部门投资", ""),  # most of it word for word
        ("仅靠官方发展援助无法为实现可持续发展目标提供什么？", "所需的资金", "copies the passage"),
    ],
)
def test_round_trip_keeps_only_questions_the_unit_answers_in_other_words(question, answer, why):
    assert round_trip(question, answer, P19, "zh") == why


def test_kept_questions_become_gold_with_their_answer_as_key_fact():
    kept = Candidate("doc:p19", "zh", "为什么仅靠官方发展援助不够？", "所需资金。", fact="所需的资金", kept=True)
    dropped = Candidate("doc:p19", "zh", "本段说了什么？", "x", why="points at the passage")
    (g,) = as_gold([kept, dropped], "local:m")
    assert g["gold"] == ["doc:p19"] and g["category"] == "synthetic" and g["key_facts"] == [{"zh": "所需的资金"}]


@pytest.mark.slow
def test_generation_runs_with_a_real_small_model():
    """SmolLM2 (135M, through llama.cpp) writes candidates for two units of the plan; every candidate gets
    a verdict, and every kept one has its answer in its unit."""
    from llama_index.core.llms import ChatMessage

    from assistant.config import load_settings
    from assistant.documents.corpus import load_documents
    from assistant.models.llm import make_llm

    s = load_settings(answer_mode="local", llm_model="smollm2-135m", llm_max_tokens=120)
    llm = make_llm(s)
    (info, units), *_ = load_documents(ROOT / "corpus")
    chosen = [u for u in units if u.kind == "paragraph"][18:20]

    def ask(messages):
        chat = [ChatMessage(role=r, content=c) for r, c in messages]
        return llm.chat(chat, max_tokens=120, temperature=0.0).message.content or ""

    candidates = generate(chosen, info.language, ask, languages=("zh",), progress=False)
    assert all(c.kept or c.why for c in candidates)
    for c in candidates:
        if c.kept:
            unit = next(u for u in chosen if u.id == c.unit)
            assert re.sub(r"\W", "", c.answer) in re.sub(r"\W", "", unit.plain_text)
