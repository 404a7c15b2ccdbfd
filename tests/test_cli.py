"""The command line: instant help and validation, JSON output, batch files that lose nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.config import ROOT


def run(args, env=None, stdin=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_help_and_validation_load_no_heavy_library():
    code = (
        "import sys; from assistant.interfaces.cli import main\n"
        "for argv in (['ask', ''], ['ask', 'x' * 10000], ['brief', '  ']):\n"
        "    assert main(argv) == 2\n"
        "heavy = ('torch', 'sentence_transformers', 'gradio', 'chromadb', 'llama_index.core')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "the question is empty" in r.stderr
    assert "10,000 characters" in r.stderr
    assert "the topic is empty" in r.stderr
    assert "ingest" in run(["--help"]).stdout


def test_missing_index_is_a_clear_error(tmp_path):
    r = run(["ask", "What does paragraph 12 say?"], env={"ILO_INDEX_DIR": str(tmp_path / "none")})
    assert r.returncode == 1
    assert "no index" in r.stderr and "python -m assistant ingest" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def index_env(engine):
    return {"ILO_INDEX_DIR": str(engine.settings.index_dir)}


def test_ask_json(index_env):
    r = run(["ask", "第12段说了什么", "--json"], env=index_env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["answered"] and d["citations"][0]["paragraph"] == 12


def test_look_ups_and_structural_answers_load_no_model(index_env):
    """A cold `ask` that needs no embedding answers before any model (or torch, or the vector store) loads."""
    code = (
        "import contextlib, io, json, sys, time; t = time.perf_counter()\n"
        "from assistant.interfaces.cli import main\n"
        "for q in ('paragraph 12', '第12段说了什么', 'footnote 18', 'GB.334/INS/4', '重点领域有哪些？'):\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        assert main(['ask', q, '--json']) == 0\n"
        "    d = json.loads(out.getvalue())\n"
        "    assert d['answered'] and d['mode'] in ('lookup', 'aggregate'), d\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'chromadb', 'llama_index.core', 'llama_cpp')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(time.perf_counter() - t)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **index_env}
    )
    assert r.returncode == 0, r.stderr
    assert float(r.stdout) < 30  # measured 1 s for all five on the 2-core machine (eval/bench_start.py: one)


def test_brief_json_and_exports(index_env, tmp_path):
    md, docx = tmp_path / "note.md", tmp_path / "note.docx"
    r = run(["brief", "South-South cooperation", "--json", "--md", str(md), "--docx", str(docx)], env=index_env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["backend"] == "extractive" and d["language"] == "en" and 3 <= len(d["messages"]) <= 7
    assert all(m["citations"] and m["citations"][0]["id"].startswith("GB.334-INS-3-1:") for m in d["messages"])
    assert "D2.5" in [x["label"] for x in d["deliverables"]]
    assert {a["id"] for a in d["annex"]} >= {c["id"] for m in d["messages"] for c in m["citations"]}
    assert md.read_text(encoding="utf-8") == d["markdown"] and docx.stat().st_size > 5000
    r = run(["brief", "a recipe for pork dumplings"], env=index_env)
    assert r.returncode == 1 and "nothing close enough" in r.stderr and "Traceback" not in r.stderr


def test_batch_keeps_ids_and_survives_bad_lines(index_env, tmp_path):
    lines = [
        json.dumps({"id": "a", "question": "What does paragraph 12 say?"}),
        "{this is not json",
        json.dumps({"id": "c", "question": ""}),
        json.dumps(
            {
                "id": "d",
                "question": "And what does footnote 18 say?",
                "history": [{"role": "user", "content": "What does paragraph 27 say?"}],
            }
        ),
    ]
    batch = tmp_path / "in.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(["ask", "--batch", str(batch)], env=index_env)
    assert r.returncode == 1  # some lines failed
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c", "d"]
    assert out[0]["answered"] and out[3]["answered"]
    assert "line 2" in out[1]["error"] and "empty" in out[2]["error"]
    assert "line 2" in r.stderr


SUSPICIOUS_PAPER = """Governing Body
Fifth item on the agenda
Follow-up to a resolution on something
Purpose of the document
This paper proposes a plan.
Author unit: Partnerships and Field Support Department (PARDEV).
I. Introduction
1. The Conference held a general discussion on development cooperation.
¹ GB.334/INS/4.
2. The plan has two parts.² It is short.
3. Constituents need capacity.
2019 deliverables
- Update the guide on capacity development.
A sentence left over after the list.
5. The Office will report on the plan in 2020.
"""


def test_units_dry_run_lists_the_units_and_loads_no_model():
    plan = str(ROOT / "corpus" / "GB.334-INS-3-1.zh.txt")
    code = (
        "import sys; from assistant.interfaces.cli import main\n"
        f"assert main(['units', {plan!r}]) == 0\n"
        "heavy = ('torch', 'sentence_transformers', 'gradio', 'chromadb', 'llama_index.core', 'jieba')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # the shipped plan has nothing suspicious
    lines = r.stdout.splitlines()
    assert lines[0].startswith("GB.334-INS-3-1 (GB.334/INS/3/1, zh): 74 units")
    p1 = next(x for x in lines if x.startswith("¶1 "))
    assert "paragraph" in p1 and "在其第 107 届会议" in p1 and "→ fn 1" in p1
    assert "← ¶23" in next(x for x in lines if x.startswith("fn 13 "))
    r = run(["units", plan, "--json"])
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["id"] == "GB.334-INS-3-1" and d["warnings"] == [] and len(d["units"]) == 74
    d25 = next(u for u in d["units"] if u["label"] == "D2.5")
    assert d25["kind"] == "deliverable" and d25["start"].startswith("巩固南南合作")
    assert next(u for u in d["units"] if u["label"] == "fn 13")["cited_by"] == ["¶23"]


def test_units_dry_run_warns_about_suspicious_units(tmp_path):
    path = tmp_path / "paper.txt"
    path.write_text(SUSPICIOUS_PAPER, encoding="utf-8")
    r = run(["units", str(path)])
    assert r.returncode == 0, r.stderr  # warnings, not errors
    warnings = [x for x in r.stderr.splitlines() if x.startswith("warning: ")]
    assert any(w.startswith("warning: text 1: an orphan line") and "left over" in w for w in warnings), warnings
    assert any("paragraph numbering stops at ¶3" in w and "lines numbered 5" in w for w in warnings), warnings
    assert "warning: fn 1: no marker in the text cites this footnote" in warnings
    assert "warning: ¶2: marker 2 points to no footnote" in warnings
    assert "text 1" in r.stdout and "¶3" in r.stdout
    d = json.loads(run(["units", str(path), "--json"]).stdout)
    assert [w for w in d["warnings"]] == [w.removeprefix("warning: ") for w in warnings]
    r = run(["units", str(tmp_path / "none.txt")])
    assert r.returncode == 2 and "no such file" in r.stderr
