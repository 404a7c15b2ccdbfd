"""What kind of answer a question wants, and refusing evidence that holds none (questions not in the gold set)."""

import pytest

from assistant.search.answer_evidence import holds, lacks_answer
from assistant.search.answer_types import asked_type


@pytest.mark.parametrize(
    "question, kind",
    [
        ("In which city will the next regional meeting take place?", "place"),
        ("区域会议在哪个城市举行？", "place"),
        ("那个会议在哪里开？", "place"),
        ("What is the name of the Deputy Director-General?", "person"),
        ("副局长叫什么名字？", "person"),
        ("How much funding did the Office receive in 2018?", "amount"),
        ("该项目的预算是多少美元？", "amount"),
        ("What percentage of the funding is earmarked?", "percentage"),
        ("How many deliverables had been completed by December?", "status"),
        ("有多少项成果已经完成？", "status"),
        ("How many regional offices are named?", "count"),
        ("文件提到了几个重点领域？", "count"),
        ("Which countries make up the group?", "countries"),
        ("该集团包括哪些国家？", "countries"),
        ("Which four countries ran the pilot?", "countries"),
        ("On what date does the session open?", "day"),
        ("When will the evaluation be presented?", "date"),
        ("评估报告什么时候提交？", "date"),
        ("Which Governing Body paper set out the knowledge strategy?", "symbol"),
        ("Why does the plan stress partnerships?", "reason"),
        ("Is South-South cooperation mentioned?", "yesno"),
        ("What does the plan say about gender?", None),
        # Words that only look like the kind: budget coherence is no amount, "when it comes to" no date.
        ("为什么文件说加强政策和预算一致性也应被优先考虑？", "reason"),
        ("Why is policy and budget coherence a priority?", "reason"),
        ("What should guide the ILO when it comes to partnerships?", None),
    ],
)
def test_the_kind_of_answer_is_read_from_the_question(question, kind):
    assert asked_type(question) == kind


def test_evidence_without_that_kind_of_answer_does_not_answer():
    conference = "Follow-up to the Buenos Aires Plan of Action (BAPA+40) will be pursued."
    assert lacks_answer("In which city will the BAPA+40 conference take place?", [conference])
    assert not lacks_answer("In which city will the conference take place?", ["It will take place in Buenos Aires."])
    post = "主管外地办事机构和伙伴关系的副局长负责此事。"
    assert lacks_answer("What is the name of the Deputy Director-General?", [post])
    assert not lacks_answer("Who is responsible for field operations?", [post])  # an office answers "who"
    assert lacks_answer("How many deliverables had been completed?", ["The plan lists 13 deliverables for 2019."])
    assert not lacks_answer("When will it be presented?", ["It will be presented to the Governing Body in March 2019."])
    assert lacks_answer("它将在哪一天开幕？", ["会议将于 2019 年举行。"])
    assert not lacks_answer("它将在哪一天开幕？", ["会议将于 2019 年 3 月 20 日开幕。"])


def test_a_list_of_countries_needs_countries():
    assert holds("countries", "巴西、俄罗斯、印度、中国和南非")
    assert holds("countries", "Brazil, Russia, India, China and South Africa")
    assert not holds("countries", "金砖国家和 20 国集团")


def test_a_structural_count_answers_only_what_the_structure_holds():
    from assistant.config import ROOT
    from assistant.documents.corpus import load_corpus
    from assistant.search import aggregate

    _, units = load_corpus(ROOT / "corpus")
    listed = aggregate.answer("How many 2019 deliverables are listed under the second focus area?", units, "en")
    assert listed is not None and listed.lead.startswith("Focus area 2 lists 5 deliverables")
    for question in (
        "How many of the 2019 deliverables had been completed by the end of 2019?",
        "How many Resident Coordinators will receive briefings under the focus area 4 deliverable?",
        "到 2019 年底已经完成了几项可交付成果？",
        # Something inside a deliverable is asked for, not the deliverables: retrieval quotes the sentence.
        "Under the focus area 4 deliverable, which UN institution does the Turin Centre work with?",
        "重点领域 4 的可交付成果中，都灵中心将与哪个联合国机构合作？",
        # Something inside one focus area is asked for, not the focus areas.
        "Focus area 1 — which overarching principle does country-level development cooperation follow?",
    ):
        assert aggregate.answer(question, units, "en") is None, question
    for question in ("What are the deliverables of focus area 3?", "第三个重点领域有哪些可交付成果？"):
        assert [u.label for u, _ in aggregate.answer(question, units, "en").quoted] == ["D3.1", "D3.2"], question


def test_who_holds_a_post_wants_a_name_not_the_post():
    """A question like "Who is the Director-General?" is not answered by a sentence that names the post;
    "who will coordinate" is answered by an office."""
    post = "The Governing Body requested the Director-General to take its guidance into account."
    for question in ("Who is the Director-General of the ILO?", "主管外地办事机构和伙伴关系的副局长是谁？"):
        assert lacks_answer(question, [post]), question
    assert not lacks_answer("Who is the Director-General of the ILO?", ["Mr Guy Ryder, Director-General."])
    coordinates = "The work will be coordinated by the Office of the Deputy Director-General for Field Operations."
    assert not lacks_answer("Who will be responsible for coordinating the work?", [coordinates])


def test_who_chairs_leads_or_answers_for_something_wants_a_sentence_that_says_so():
    """An office named without the role asked about is no answer; a sentence saying who holds it is, in the
    original or the translation."""
    named = "The ILO takes part in the UNSDG strategic results groups and shares good practice with them."
    assert lacks_answer("Who chairs the UNSDG strategic results group?", [named])
    assert lacks_answer("Who will be responsible for coordinating the work?", [named])
    assert not lacks_answer("Who chairs the group?", ["The group is chaired by UNDP."])
    assert not lacks_answer("由谁负责协调这项工作？", ["该工作将由主管外地办事机构和伙伴关系的副局长办公室协调。"])
    assert lacks_answer("2019 年的高级别评估由谁负责？", ["2019 年将对公私伙伴关系进行高级别评估。"])


def test_which_companies_wants_named_companies():
    sector = "Good practices for partnerships between the ILO and the private sector will be disseminated."
    assert asked_type("Which private companies has the ILO signed agreements with?") == "companies"
    assert asked_type("哪些企业与国际劳工组织签署了协议？") == "companies"
    assert lacks_answer("Which companies has the ILO signed agreements with?", [sector])
    assert not lacks_answer("Which companies has it signed with?", ["It signed with Nestlé S.A. and Acme Ltd."])


def test_an_enumerated_list_is_found_from_any_of_its_items():
    from assistant.answers.answer import enumeration

    items = ["Before.", "It discussed four questions: (a) one;", "(b) two;", "(c) three.", "After."]
    assert list(enumeration(items, 2)) == [1, 2, 3] == list(enumeration(items, 1))
    assert list(enumeration(items, 4)) == [4]
    assert list(enumeration(["这很重要：(1) 甲；", "(2) 乙；", "(3) 丙。"], 0)) == [0, 1, 2]


def test_a_sentence_announcing_a_list_brings_the_list_that_follows_it():
    """¶11 names "four key areas" in one sentence and lists them (1)–(4) from the next: quoting the first
    sentence for "which four areas?" must quote the list too (it was refused as naming none)."""
    import numpy as np

    from assistant.answers.answer import with_whole_lists

    class Unit:
        order = 0

        def sentences(self, lang):
            return texts

    texts = ["本计划处理四个关键领域。", "需要充分准备：(1) 甲；", "(2) 乙；", "(3) 丙；", "(4) 丁。", "另一句。"]
    vectors = [({"id": f"s{i}", "unit": "u", "i": i, "text": t}, np.ones(2)) for i, t in enumerate(texts)]
    picked = with_whole_lists([(vectors[0][0], 1.0)], vectors, np.ones(2), {"u": Unit()})
    assert [s["i"] for s, _ in picked] == [0, 1, 2, 3, 4]
    alone = with_whole_lists([(vectors[5][0], 1.0)], vectors, np.ones(2), {"u": Unit()})
    assert [s["i"] for s, _ in alone] == [5]


def test_whether_something_was_done_wants_a_sentence_saying_it_was():
    planned = "The overview could be submitted to the Governing Body in March 2019."
    for question in ("Was the overview ever submitted to the Governing Body?", "Did the Office publish the guide?"):
        assert asked_type(question) == "status", question
    assert lacks_answer("Has the overview been submitted to the Governing Body yet?", [planned])
    assert lacks_answer("该概述最后有没有提交给理事会？", ["本文件可于 2019 年 3 月提交给理事会。"])
    assert not lacks_answer("Did the Conference adopt a resolution?", ["The Conference adopted a resolution."])
    assert not lacks_answer("大会是否已经通过了决议？", ["大会通过了一项决议和若干结论。"])


def test_what_an_event_concluded_wants_an_outcome_not_an_announcement():
    announced = "The High-level Political Forum in 2019 will review progress towards SDG 8."
    for question in ("What did the forum conclude about SDG 8?", "该论坛得出了什么结论？", "该决议作出了哪些决定？"):
        assert asked_type(question) == "outcome", question
    assert lacks_answer("What did the forum conclude about SDG 8?", [announced])
    assert lacks_answer("该论坛得出了什么结论？", ["2019 年高级别政治论坛将审议可持续发展目标 8。"])
    assert not lacks_answer("What did the Conference conclude?", ["The Conference concluded that ODA is not enough."])


def test_which_n_things_wants_n_things_named_not_counted():
    counted = "In 2018-2019 the ILO ran the pilot in four countries, which will inform later decisions."
    assert lacks_answer("List the four countries where the pilot runs.", [counted])
    assert lacks_answer("试点在哪四个国家开展？", ["在 2018 年到 2019 年期间，国际劳工组织在四个国家实施该举措。"])
    assert lacks_answer("请列出四项战略目标。", ["在其四个战略目标中采取一种均衡的方法。"])
    assert not lacks_answer(
        "Which four questions did it discuss?", ["four questions: (a) one;", "(b) two;", "(c) x;", "(d) y."]
    )
    assert not lacks_answer("Which five countries form BRICS?", ["Brazil, Russia, India, China and South Africa."])
    assert not lacks_answer("哪两个局？", ["与雇主活动局和工人活动局密切合作。"])
    # An ordinal is not a number of items: "the fourth focus area" asks for the fora it names.
    assert not lacks_answer("请列出第四个重点领域中提到的国际论坛。", ["例如 20 国集团和金砖国家等论坛。"])


@pytest.mark.parametrize(
    "question, kind",
    [
        ("On what dates does the forum meet?", "day"),
        ("Where was the 107th Session of the International Labour Conference held in June 2018?", "place"),
        ("What budget, in dollars, does the plan set?", "amount"),
        ("What interest rate do the loans carry?", "percentage"),
        ("哪一位秘书长提出了该方案？", "person"),
        ("Name the countries of the group.", "countries"),
    ],
)
def test_more_wordings_of_the_checked_kinds(question, kind):
    assert asked_type(question) == kind


def test_which_ones_have_done_something_is_a_status_question_in_both_languages():
    brics = "金砖国家包括巴西、俄罗斯、印度、中国和南非。"
    assert asked_type("Which BRICS countries have ratified the conventions?") == "status"
    assert lacks_answer("Which BRICS countries have ratified the conventions?", [brics])
    assert lacks_answer("金砖国家中哪些国家已经批准了这些公约？", [brics])


def test_when_a_named_thing_was_adopted_wants_its_own_date():
    """¶19 dates the 2030 Agenda's goals and names the Addis Ababa Action Agenda in another sentence: no date
    of adoption."""
    para = ["仅靠官方发展援助是不足以在 2030 年之前实现可持续发展目标的。", "《亚的斯亚贝巴行动议程》提供了一个框架。"]
    assert lacks_answer("《亚的斯亚贝巴行动议程》是哪一年通过的？", para)
    assert lacks_answer("When was the Addis Ababa Action Agenda adopted?", ["The goals are to be met by 2030."])
    assert not lacks_answer(
        "When was the Addis Ababa Action Agenda adopted?", ["The Addis Ababa Action Agenda of 2015."]
    )


def test_who_pays_wants_a_sentence_saying_who_funds_that_thing():
    named = "The Secretary-General's implementation plan for the reinvigorated Resident Coordinator system."
    assert asked_type("新一代体面劳动国别计划试点的经费由哪些捐助方提供？") == "funder"
    assert lacks_answer("Who pays for the Resident Coordinator system?", [named])
    assert lacks_answer("试点项目的经费由谁提供？", ["在 2018 年到 2019 年期间，国际劳工组织在四个国家实施该举措。"])
    assert not lacks_answer(
        "Who pays for the Resident Coordinator system?", ["The Resident Coordinator system is funded by a levy."]
    )


def test_which_session_wants_a_session_not_a_year():
    assert asked_type("该评估会提交理事会哪一届会议审议？") == "session"
    assert lacks_answer("该评估会提交理事会哪一届会议审议？", ["2019 年对公共私营伙伴关系的高级别评估。"])
    assert not lacks_answer("Which session adopted the conclusions?", ["At its 107th Session (June 2018), the ILC…"])


def test_what_would_happen_if_wants_a_conditional():
    assert asked_type("如果理事会没有通过该战略，会有什么后果？") == "consequence"
    assert lacks_answer(
        "如果理事会没有通过该战略，会有什么后果？", ["为了落实若干结论，理事会要求局长考虑其指导意见。"]
    )
    assert not lacks_answer("What would happen if funding fell?", ["If funding falls, the pilot will stop."])


def test_signing_and_representing_are_checked_like_other_statuses_and_roles():
    assert lacks_answer(
        "Has the ILO signed an agreement with the Staff College yet?", ["It will work with the Staff College."]
    )
    assert not lacks_answer(
        "Has the ILO signed an agreement with the College?", ["The ILO has signed an agreement with the College."]
    )
    assert lacks_answer("Who will represent the ILO at BAPA+40?", ["Good practices will be promoted at BAPA+40."])
    assert lacks_answer("Name of the current Director of the Turin Centre?", ["The Turin Centre will offer training."])


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Qu'a conclu le Forum politique de haut niveau ?", "outcome"),
        ("Quelle part du financement provient du secteur privé ?", "percentage"),
        ("Dans quelle ville se tiendra la conférence ?", "place"),
        ("Avec quelles entreprises l'OIT a-t-elle signé des accords ?", "companies"),
        ("Quels documents du Conseil d'administration sont cités ?", "symbol"),
        ("¿En qué ciudad se celebrará la conferencia?", "place"),
        ("¿Quién preside el grupo de resultados?", "person"),
        ("¿Qué porcentaje de la financiación procede del sector privado?", "percentage"),
        # "Programme and Budget" names a document in English, French and Spanish alike.
        ("When will the new programme and budget take effect?", "date"),
    ],
)
def test_french_and_spanish_questions_are_read_too(question, kind):
    assert asked_type(question) == kind


def test_a_french_role_question_wants_the_role_in_the_english_text():
    named = "The ILO takes part in the UNSDG strategic results groups."
    assert lacks_answer("Qui préside le groupe de résultats stratégiques ?", [named])
    assert not lacks_answer("Qui préside le groupe ?", ["The group is chaired by UNDP."])


def test_comparisons_and_indicators_must_be_in_the_evidence():
    transparency = "向经合组织发展援助委员会提供数据也为透明度的提升提供了支持。"
    assert asked_type("跟其他联合国机构相比，国际劳工组织的透明度如何？") == "comparison"
    assert lacks_answer("跟其他联合国机构相比，国际劳工组织的透明度如何？", [transparency])
    assert not lacks_answer("How does its funding compare with 2015?", ["Funding was higher than in 2015."])
    framework = "制定国际劳工组织框架以衡量其成果及影响。"
    assert lacks_answer("该框架具体包括哪些指标？", [framework])
    assert lacks_answer("What criteria will the ILO use to pick good practices?", ["Good practices will be shared."])
    assert not lacks_answer(
        "Which indicators will it track?", ["It will track three indicators: jobs, wages and coverage."]
    )


@pytest.mark.parametrize(
    "question, evidence, refused",
    [
        ("How often does the ILO send its data to the DAC?", "The ILO provides data to the OECD DAC.", True),
        ("How often is it reported?", "It is reported every year to the Governing Body.", False),
        ("Link to the ILO dashboard?", "The ILO dashboard shows decent work results.", True),
        ("BAPA+40 — what does BAPA stand for?", "The second UN High-Level Conference (BAPA+40 Conference).", True),
        ("What does SSTC stand for?", "South-South and triangular cooperation (SSTC) will guide it.", False),
        ("SSTC 的全称是什么？", "以更多地利用南南合作和三角形合作(SSTC)为指导。", False),
        ("How does the paper define innovative financing?", "Innovative financing models will be applied.", True),
        ("Could you give me an example of ODA leveraging private funds?", "ODA remains important.", True),
        ("尽职调查程序具体包括哪些步骤？", "战略伙伴关系小组负责协调伙伴关系的做法。", True),
        ("KPIs for the four focus areas?", "The plan addresses four focus areas.", True),
        ("国际援助透明化倡议是哪个机构主办的？", "国际劳工组织通过国际援助透明化倡议公布了数据。", True),
        ("国际劳工组织发展合作的前五大捐助方是谁？", "需要确保伙伴关系和融资模式的最佳组合。", True),
        ("How did the Workers' group react to the paper?", "The paper should be read with GB.334/INS/3/2.", True),
        ("劳动世界的未来倡议哪年启动的？", "在推出“劳动世界的未来倡议”的背景下及《2018-21年知识战略》的指导下。", True),
        ("南南合作的主要伙伴国有哪些？", "国际劳工组织应以更多地利用南南合作为指导。", True),
    ],
)
def test_what_kind_of_detail_is_asked_and_whether_the_evidence_gives_it(question, evidence, refused):
    assert lacks_answer(question, [evidence]) is refused


def test_a_purpose_is_not_an_outcome():
    """ "in order to show" says what the work is for, not what something showed."""
    assert asked_type("What does the ILO need to analyse in order to show what actually works?") != "outcome"
    assert asked_type("What did the evaluation show about social dialogue?") == "outcome"


def test_a_city_inside_an_institution_s_name_is_no_venue():
    """Found asking as a new user: "国际劳工组织的总部设在哪个城市？" was answered with D1.4's Turin Centre."""
    question = "国际劳工组织的总部设在哪个城市？"
    assert lacks_answer(question, ["与国际劳工组织都灵国际培训中心(ITC-ILO)密切合作。"])
    assert lacks_answer("Where is the ILO based?", ["It works with the Turin International Training Centre."])
    assert not lacks_answer(question, ["国际劳工组织总部设在日内瓦。"])


def test_every_refusing_kind_says_what_the_paper_does_not_give():
    from assistant.answers.answer import MISSING
    from assistant.search.answer_types import CHECKED

    assert set(CHECKED) <= set(MISSING)
