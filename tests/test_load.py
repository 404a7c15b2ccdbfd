"""The load and soak script (eval/load.py) in a short form: a few users × 2 questions through Gradio's client
against the real app, with the ingest/remove loop beside them; every answer from one complete build."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.config import ROOT


@pytest.mark.load
def test_short_load_run_answers_everything_from_complete_builds(tmp_path):
    out = tmp_path / "load.json"
    r = subprocess.run(
        [sys.executable, "eval/load.py", "--users", "3", "--questions", "2", "--concurrency", "4"]
        + ["--embed-model", "e5-small", "--duration", "60", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    (run,) = json.loads(out.read_text())["runs"]
    assert run["answers"] == 6 and run["errors"] == 0 and not run["churn_errors"]
    assert run["every_answer_from_one_complete_build"] and run["churn_cycles"] >= 1
    assert run["peak_server_mb"] > 0 and run["p95_s"] > 0
    assert "| 4 | 6 | 0 |" in r.stdout
