"""Conversation export (Markdown, DOCX) and the SQLite feedback store, on real files."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime

import pytest
from docx import Document

from assistant.interfaces.export import conversation_markdown, write_docx
from assistant.interfaces.feedback import FeedbackStore

P29 = "国际劳工组织的附加值体现在其作为一个规范性和三方性机构，以社会对话机制来落实体面劳动议程的四项战略目标。"
P29_QUOTE = P29
FN3 = "³ 见国际劳工大会第 107 届会议《关于有效的国际劳工组织发展合作支持可持续发展目标的决议》，2018 年 6 月。"
SECTION = "一、背景 > 国际劳工组织的附加值"


def _answer(question: str = "国际劳工组织的附加值体现在哪里？", answered: bool = True) -> dict:
    if not answered:
        return {
            "id": None,
            "question": question,
            "answer": "文件中没有足够的依据回答这个问题。",
            "answered": False,
            "mode": "extractive",
            "language": "zh",
            "citations": [],
            "retrieved": [],
            "timings_ms": {"total": 12.0},
        }
    return {
        "id": None,
        "question": question,
        "answer": f"根据 GB.334/INS/3/1：{P29} [¶29]",
        "answered": True,
        "mode": "extractive",
        "language": "zh",
        "standalone_question": question,
        "evidence": 0.8123,
        "citations": [
            {
                "doc": "GB.334-INS-3-1",
                "label": "¶29",
                "kind": "paragraph",
                "paragraph": 29,
                "footnote": None,
                "section": SECTION,
                "text": P29,
                "score": 0.8123,
                "id": "GB.334-INS-3-1:p29",
                "quote": [P29_QUOTE],
            },
            {
                "doc": "GB.334-INS-3-1",
                "label": "fn 3",
                "kind": "footnote",
                "paragraph": None,
                "footnote": 3,
                "section": "",
                "text": FN3,
                "score": 0.51,
                "id": "GB.334-INS-3-1:fn3",
                "quote": [],
            },
        ],
        "retrieved": [{"id": "GB.334-INS-3-1:p29", "score": 0.8123}],
        "timings_ms": {"retrieve": 20.1, "total": 35.4},
    }


def _turns() -> list[dict]:
    refusal = _answer("国际劳工组织有多少名员工？", answered=False)
    return [
        {"question": "国际劳工组织的附加值体现在哪里？", "answer": _answer()},
        {"question": refusal["question"], "answer": refusal},
    ]


def test_markdown_has_questions_labels_and_full_cited_texts():
    md = conversation_markdown(_turns(), when=datetime(2025, 3, 1, 9, 30))
    lines = md.splitlines()
    assert lines[0] == "# GB.334/INS/3/1 — conversation"
    assert "2025-03-01 09:30" in md
    assert "## Q1. 国际劳工组织的附加值体现在哪里？" in lines
    assert "## Q2. 国际劳工组织有多少名员工？" in lines
    assert f"根据 GB.334/INS/3/1：{P29} [¶29]" in lines  # the answer keeps its inline label
    assert "- [¶29] GB.334-INS-3-1 — " + SECTION in lines
    assert "- [fn 3] GB.334-INS-3-1" in lines  # no section: no dangling dash
    assert f"  > {P29}" in lines and f"  > {FN3}" in lines  # full texts as blockquotes
    assert f"  > **{P29_QUOTE}**" in lines  # the quoted sentence emphasised
    # The refusal is written as-is, with no sources after it.
    refusal_part = md.split("## Q2.")[1]
    assert "文件中没有足够的依据回答这个问题。" in refusal_part
    assert "Sources" not in refusal_part
    assert md.count("**Sources**") == 1


def test_docx_reopens_with_headings_and_chinese_citation_text(tmp_path):
    path = write_docx(_turns(), tmp_path / "out" / "conversation.docx")
    assert path == tmp_path / "out" / "conversation.docx" and path.exists()
    doc = Document(str(path))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert ("Heading 1", "GB.334/INS/3/1 — conversation") in paras
    headings2 = [t for s, t in paras if s == "Heading 2"]
    assert headings2 == ["Q1. 国际劳工组织的附加值体现在哪里？", "Q2. 国际劳工组织有多少名员工？"]
    texts = [t for _, t in paras]
    assert any("[¶29]" in t for t in texts)
    assert "[¶29] GB.334-INS-3-1 — " + SECTION in texts
    quotes = [t for s, t in paras if s in ("Quote", "Intense Quote")]
    assert quotes == [P29, FN3]
    sources = [p for p in doc.paragraphs if p.text == "Sources"]
    assert len(sources) == 1 and sources[0].runs[0].bold
    # The quoted sentence is bold inside the full text.
    quote_para = next(p for p in doc.paragraphs if p.text == P29)
    assert any(r.bold and r.text == P29_QUOTE for r in quote_para.runs)
    # Chinese gets an explicit East Asian font rather than a theme font.
    normal_xml = doc.styles["Normal"].element.xml
    assert 'w:eastAsia="WenQuanYi Micro Hei"' in normal_xml
    assert "eastAsiaTheme" not in doc.styles.element.xml


def test_feedback_round_trip(tmp_path):
    store = FeedbackStore(tmp_path / "nested" / "feedback.sqlite")
    assert store.all() == []
    first = store.add(_answer(), "up", "准确")
    second = store.add(_answer("国际劳工组织有多少名员工？", answered=False), "down")
    store.set_comment(second, "应当能回答")
    rows = store.all()
    assert [r["id"] for r in rows] == [first, second]
    assert rows[0]["rating"] == "up" and rows[0]["comment"] == "准确"
    assert rows[0]["question"] == "国际劳工组织的附加值体现在哪里？"
    assert rows[0]["citations"] == ["GB.334-INS-3-1:p29", "GB.334-INS-3-1:fn3"]
    assert rows[0]["language"] == "zh"
    assert rows[0]["answer_json"]["citations"][0]["text"] == P29
    assert rows[1]["rating"] == "down" and rows[1]["comment"] == "应当能回答" and rows[1]["citations"] == []
    with pytest.raises(KeyError):
        store.set_comment(999, "x")
    # A second store on the same file sees the same rows, and the file is in WAL mode.
    assert len(FeedbackStore(tmp_path / "nested" / "feedback.sqlite").all()) == 2
    with sqlite3.connect(tmp_path / "nested" / "feedback.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("rating", ["", "UP", "good", "thumbs_down", None])
def test_feedback_rejects_bad_ratings(tmp_path, rating):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    with pytest.raises(ValueError):
        store.add(_answer(), rating)
    assert store.all() == []


def test_feedback_from_two_threads(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    errors: list[BaseException] = []

    def work(rating: str) -> None:
        try:
            for i in range(50):
                store.add(_answer(f"问题 {rating} {i}"), rating)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in ("up", "down")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = store.all()
    assert len(rows) == 100
    assert len({r["id"] for r in rows}) == 100
    assert sum(r["rating"] == "up" for r in rows) == 50


def test_export_gold_candidates(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    up = store.add(_answer(), "up", "准确")
    down = store.add(_answer("国际劳工组织有多少名员工？", answered=False), "down", "应当能回答")
    out = tmp_path / "eval" / "candidates.jsonl"
    assert store.export_gold_candidates(out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [c["id"] for c in lines] == [f"fb{up:04d}", f"fb{down:04d}"] == ["fb0001", "fb0002"]
    good, bad = lines
    assert set(good) == {"id", "question", "language", "category", "answerable", "gold", "key_facts", "source"}
    assert good["question"] == "国际劳工组织的附加值体现在哪里？" and good["language"] == "zh"
    assert good["category"] == "feedback" and good["answerable"] is True
    assert good["gold"] == ["GB.334-INS-3-1:p29", "GB.334-INS-3-1:fn3"] and good["key_facts"] == []
    assert good["source"] == {
        "feedback_id": up,
        "rating": "up",
        "comment": "准确",
        "answer": f"根据 GB.334/INS/3/1：{P29} [¶29]",
    }
    assert bad["answerable"] is None and bad["gold"] == [] and bad["category"] == "feedback"
    assert bad["source"]["rating"] == "down" and bad["source"]["comment"] == "应当能回答"
    assert "国际劳工组织" in out.read_text(encoding="utf-8")  # written as UTF-8, not \u escapes
