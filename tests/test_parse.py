"""The parser recovers the paper's real structure from its PDF-extracted text."""

from __future__ import annotations

import re

import pytest

from assistant.documents.parse import ParseError, join_fragments, parse_text
from assistant.documents.units import build_units

DOC = "GB.334-INS-3-1"


@pytest.fixture(scope="module")
def units(plan_text):
    return build_units(parse_text(plan_text), DOC)


def by_label(units, label):
    return next(u for u in units if u.label == label)


def test_counts(units):
    paragraphs = [u.paragraph for u in units if u.paragraph is not None]
    assert paragraphs == list(range(1, 33))
    assert [u.footnote for u in units if u.kind == "footnote"] == list(range(1, 20))
    deliverables = [(u.area, u.item) for u in units if u.kind == "deliverable"]
    assert len(deliverables) == 13
    assert [a for a, _ in deliverables].count(1) == 5 and [a for a, _ in deliverables].count(2) == 5
    assert [a for a, _ in deliverables].count(3) == 2 and [a for a, _ in deliverables].count(4) == 1


def test_front_matter(plan_text, units):
    doc = parse_text(plan_text)
    assert doc.agenda_item == "第三项议程"
    assert doc.title == "关于国际劳工组织开展有效发展合作以支持可持续发展目标的决议的后续措施"
    fields = {u.text.split("：")[0]: u for u in units if u.kind == "field"}
    assert len(fields) == 8
    assert "PARDEV" in fields["作者单位"].text
    assert fields["财政影响"].text == "财政影响：无。"
    assert fields["相关文件"].symbols == ("GB.334/INS/4", "GB.334/PFA/1")
    assert "行动计划(2019 年)" in by_label(units, "Summary").text


def test_paragraphs_cut_by_page_breaks_are_stitched(units):
    assert "联合国发展系统(UNDS)进程是确保" in by_label(units, "¶5").text
    assert "国家战略发展进程" in by_label(units, "¶13").text
    assert "这也可能包括通过联合国发展援助框架" in by_label(units, "¶22").text
    assert "以便能在推出" in by_label(units, "¶23").text
    # the footnotes standing between the halves are not swallowed by the paragraph
    assert "理事会文件 GB.334/INS/4" not in by_label(units, "¶5").text


def test_footnotes_linked_both_ways(units):
    p23 = by_label(units, "¶23")
    assert p23.footnotes == (11, 12, 13)
    assert by_label(units, "fn 13").cited_by == (p23.id,)
    assert by_label(units, "¶5").footnotes == (4,)
    assert by_label(units, "fn 1").cited_by == (f"{DOC}:p1",)
    for fn in (u for u in units if u.kind == "footnote"):
        assert fn.cited_by, f"{fn.label} is cited by no unit"


def test_symbols_are_metadata(units):
    assert by_label(units, "fn 13").symbols == ("GB.331/PFA/4", "GB.334/PFA/INF/2")
    assert by_label(units, "fn 17").symbols == ("GB.329/INS/3/1", "GB.331/INS/9")
    assert by_label(units, "fn 6").symbols == ("GB.329/POL/5",)
    assert "GB.332/PFA/8" in by_label(units, "¶23").symbols  # cited through its footnote 11


def test_sections_and_deliverables(units):
    d = by_label(units, "D2.5")
    assert d.section[1].startswith("2. 重点领域")
    assert "南南合作" in d.text
    assert by_label(units, "¶32").kind == "decision"
    assert by_label(units, "¶1").section == ("I. 导言",)
    assert by_label(units, "¶3").section == ("I. 导言", "大会讨论及结论")


def test_extraction_noise_removed_without_rewording(units, plan_text):
    for u in units:
        assert "](#)" not in u.text and "[" not in u.text, u.label
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", u.text), u.label
    assert by_label(units, "fn 6").text == "理事会文件 GB.329/POL/5。"
    assert "第 107 届会议" in by_label(units, "¶1").text  # spaces around numbers are print style: kept


def test_ids_are_stable_and_unique(units, plan_text):
    again = build_units(parse_text(plan_text), DOC)
    assert [u.id for u in units] == [u.id for u in again]
    assert len({u.id for u in units}) == len(units)


def test_retyped_copy_with_other_page_breaks_parses_the_same(plan_text, units):
    """A re-typed copy: extra blank lines, paragraph 10 cut by a page break with a footnote in between,
    and footnotes 7–9 moved: the units come out the same."""
    text = plan_text.replace("\n\n", "\n\n\n")
    text = text.replace(
        "因此，国际劳工组织目前处于一个新旧交接的窗口期，",
        "因此，国际劳工组织目前处\n\n⁶ 理事会文件 GB.329/POL/5。\n\n于一个新旧交接的窗口期，",
    ).replace("\n⁶ 理事会文件 [GB.329/POL/5](#)。\n", "\n")
    again = build_units(parse_text(text), DOC)
    assert [u.label for u in again if u.kind != "footnote"] == [u.label for u in units if u.kind != "footnote"]
    assert "目前处于一个新旧交接的窗口期" in by_label(again, "¶10").text
    assert len([u for u in again if u.kind == "footnote"]) == 19


ENGLISH_PAPER = """Governing Body
Fifth item on the agenda
Follow-up to a resolution on something
Purpose of the document
This paper proposes a plan.
Policy implications: None.
Author unit: Partnerships and Field Support Department (PARDEV).
I. Introduction
1. The Conference held a general discussion on development coopera-
¹ GB.334/INS/4.
tion and adopted conclusions.¹
2. The plan has two parts.
1. Focus area — Serving constituents
3. Constituents need capacity.
2019 deliverables
- Update the guide on capacity development.
- Share good practices.
Draft decision
4. The Governing Body requests the Director-General to take its guidance into account.
"""


def test_another_paper_in_the_same_format_parses():
    units = build_units(parse_text(ENGLISH_PAPER), "GB.999-X-1")
    labels = [u.label for u in units]
    assert labels[:2] == ["Title", "Summary"]
    assert [u.paragraph for u in units if u.paragraph] == [1, 2, 3, 4]
    p1 = by_label(units, "¶1")
    assert "development cooperation and adopted" in p1.text  # hyphenated word joined whole
    assert p1.footnotes == (1,) and by_label(units, "fn 1").symbols == ("GB.334/INS/4",)
    assert [u.label for u in units if u.kind == "deliverable"] == ["D1.1", "D1.2"]
    assert by_label(units, "¶4").kind == "decision"
    assert by_label(units, "Summary: Author unit").text.startswith("Author unit:")


def test_join_fragments():
    assert join_fragments("国家战", "略发展进程") == "国家战略发展进程"
    assert join_fragments("develop-", "ment goals") == "development goals"
    assert join_fragments("the", "plan") == "the plan"


@pytest.mark.parametrize("text", ["", "\n\n", "just some words\nwithout structure"])
def test_text_that_is_not_a_paper_is_rejected(text):
    with pytest.raises(ParseError):
        parse_text(text)


_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_WRAP_TOKEN = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+|\\s+")


def hard_wrap(text: str, width: int, widest: int | None = None, seed: int = 0) -> str:
    """Each line cut into lines of at most `width` characters, as a re-typed copy or a text viewer
    does: between any two Chinese characters, between words elsewhere (the space at the cut dropped).
    With `widest`, each line is cut at a width drawn between the two, as someone typing would."""
    import random

    draw = random.Random(seed)

    def measure() -> int:
        return draw.randint(width, widest) if widest else width

    out = []
    for line in text.splitlines():
        cur, limit = "", measure()
        for token in _WRAP_TOKEN.findall(line):
            if len(cur) + len(token.rstrip()) > limit and cur.strip():
                out.append(cur.rstrip())
                cur, limit = "" if token.isspace() else token, measure()
            else:
                cur += token
        out.append(cur.rstrip())
    return "\n".join(out)


def same_as_original(reference, got) -> None:
    """The same units: labels in order, texts and sections equal but for white space."""

    def squeeze(s: str) -> str:
        return re.sub(r"\s", "", s)

    assert [u.label for u in got] == [u.label for u in reference]
    for r, g in zip(reference, got):
        assert squeeze(g.text) == squeeze(r.text), r.label
        assert [squeeze(x) for x in g.section] == [squeeze(x) for x in r.section], r.label
        assert (g.footnotes, g.cited_by) == (r.footnotes, r.cited_by), r.label


@pytest.mark.parametrize("width", [18, 25, 30, 34, 40, 55, 70, 80])
def test_hard_wrapped_copy_gives_the_units_of_the_original(plan_text, units, width):
    """Lines cut at a fixed width (Chinese lines at 30–40 characters, at 70–80 for a copy wrapped for
    English text): deliverables and footnotes broken over lines join their unit, headings are whole."""
    wrapped = hard_wrap(plan_text, width)
    assert max(len(x) for x in wrapped.splitlines()) <= width and len(wrapped.splitlines()) > 150
    got = build_units(parse_text(wrapped), DOC)
    same_as_original(units, got)
    assert not [u.label for u in got if u.kind in ("text", "item")]  # no orphans
    assert [u.label for u in got if u.kind == "deliverable"][-1] == "D4.1"


@pytest.mark.parametrize(("narrowest", "widest", "seed"), [(28, 40, 1), (28, 40, 2), (30, 40, 3), (60, 80, 4)])
def test_copy_with_lines_of_uneven_length_gives_the_units_of_the_original(plan_text, units, narrowest, widest, seed):
    """A copy typed with lines of 28–40 (or 60–80) characters, each line cut where the typist chose."""
    got = build_units(parse_text(hard_wrap(plan_text, narrowest, widest, seed)), DOC)
    same_as_original(units, got)
    assert not [u.label for u in got if u.kind in ("text", "item")]


def test_a_line_that_starts_with_a_marker_is_not_a_footnote_while_its_note_is_to_come(plan_text, units):
    """Cut just before a footnote marker, a line starts with the marker: it goes on with the paragraph;
    the footnote itself comes later."""
    text = plan_text.replace("若干结论。¹ 为落实这些结论,", "若干结论。\n¹ 为落实这些结论,")
    assert "\n¹ 为落实" in text
    wrapped = hard_wrap(text, 30)
    same_as_original(units, build_units(parse_text(wrapped), DOC))


def test_marker_alone_on_a_line_joins_the_text_before(plan_text, units):
    text = plan_text.replace("作出充分贡献。⁴", "作出充分贡献。\n⁴")
    same_as_original(units, build_units(parse_text(text), DOC))


def english_paper_with_notes() -> str:
    """A longer paper in English in the same layout: 10 paragraphs, each citing a footnote that follows
    it, two focus areas, deliverables and a draft decision (for wrapping at English line widths)."""
    from test_formats import FILLER

    lines = ENGLISH_PAPER.split("I. Introduction")[0].splitlines() + ["I. Introduction"]
    for n, sentence in enumerate(FILLER[:9], 1):
        marker = str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        lines.append(f"{n}. {sentence}{marker} {FILLER[n]} {FILLER[n + 1]}")
        lines.append(f"{marker} Governing Body document GB.334/INS/{n}, on the reform of the United Nations system.")
        if n == 3:
            lines.append("1. Focus area — Serving constituents")
        if n == 6:
            lines += ["2019 deliverables", *(f"- {FILLER[k]} {FILLER[k + 1]}" for k in range(3))]
            lines.append("2. Focus area — Partnerships and financing")
    lines += [
        "Draft decision",
        "10. The Governing Body requests the Director-General to take its guidance into account.",
    ]
    return "\n".join(lines)


@pytest.mark.parametrize(("width", "widest"), [(72, None), (80, None), (65, 80)])
def test_english_paper_hard_wrapped_gives_the_units_of_the_original(width, widest):
    text = english_paper_with_notes()
    original = build_units(parse_text(text), "GB.999-X-1")
    assert [u.paragraph for u in original if u.paragraph] == list(range(1, 11))
    assert [u.label for u in original if u.kind == "deliverable"] == ["D1.1", "D1.2", "D1.3"]
    wrapped = hard_wrap(text, width, widest)
    assert max(len(x) for x in wrapped.splitlines()) <= (widest or width)
    same_as_original(original, build_units(parse_text(wrapped), "GB.999-X-1"))


def test_footnote_over_two_lines_and_a_paragraph_cut_by_the_page(plan_text, units):
    """One line per block otherwise: footnote 13 broken before its last words goes on over the break;
    footnote 3 without its full stop does not take the rest of paragraph 5, which the page break cut."""
    text = plan_text.replace("(理事会文件 GB.334/PFA/INF/2)。", "(理事会文件\nGB.334/PFA/INF/2)。")
    text = text.replace("³ 理事会文件 GB.334/PFA/1。", "³ 理事会文件 GB.334/PFA/1")
    assert "(理事会文件\nGB.334" in text and "³ 理事会文件 GB.334/PFA/1\n" in text
    got = build_units(parse_text(text), DOC)
    assert [u.label for u in got] == [u.label for u in units]
    assert by_label(got, "fn 13").text.replace(" ", "") == by_label(units, "fn 13").text.replace(" ", "")
    assert by_label(got, "¶5").text == by_label(units, "¶5").text
    assert by_label(got, "fn 3").text == "理事会文件 GB.334/PFA/1"
