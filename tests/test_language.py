"""Which language a question is in: it decides the version quoted and the refusal threshold."""

import pytest

from assistant.documents.text import language_of
from assistant.evaluation.harness import key_fact_hits


@pytest.mark.parametrize(
    "text, lang",
    [
        ("第12段说了什么", "zh"),
        ("What does 体面劳动 mean?", "zh"),
        ("Why is official development assistance alone not enough?", "en"),
        ("ILO", "en"),
        ("paragraph 12", "en"),
        ("GB.334/INS/4", "en"),
        ("What is ODA?", "en"),
        ("Quel est le rôle du Centre de Turin ?", "fr"),
        ("Combien de produits sont prévus pour 2019 ?", "fr"),
        ("Et la transparence ?", "fr"),
        ("¿Qué dice el párrafo 12?", "es"),
        ("¿Cuántos productos hay para 2019?", "es"),
        ("Y el G20?", "es"),
    ],
)
def test_language_of_questions(text, lang):
    assert language_of(text) == lang


def test_key_facts_in_the_readers_language_only_count_that_variant():
    facts = [{"zh": "2018 年 6 月", "en": "June 2018"}]
    assert key_fact_hits("会议于 2018 年 6 月举行", facts) == [True]
    assert key_fact_hits("会议于 2018 年 6 月举行", facts, "en") == [False]
    assert key_fact_hits("It met in June 2018.", facts, "en") == [True]


def test_a_french_or_spanish_reader_gets_english_phrases_not_an_error():
    from assistant.answers.answer import lead_in, refusal

    assert refusal(["GB.334/INS/3/1"], "fr").startswith("The documents do not support an answer")
    assert lead_in([("GB.334/INS/3/1", "zh")], "es").startswith("According to GB.334/INS/3/1")
    assert language_of("UN reform") == "en"  # an acronym is not the French "un"
