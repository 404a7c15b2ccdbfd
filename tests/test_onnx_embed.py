"""EmbeddingGemma's ONNX export: the same vectors and rankings as the torch path, queries without torch, and the
fallback when the export is missing. Real model, real export (made once if the machine lacks it: ~1-3 minutes,
1.23 GB next to the model, as `models install` does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from assistant.config import ROOT, load_settings
from assistant.evaluation.harness import load_gold
from assistant.models import onnx_gemma, weights
from assistant.models.embed import get_embedder

QUERIES = ["国际劳工组织的附加值体现在哪里？", "Which 2019 deliverable concerns South-South cooperation?"]


@pytest.fixture(scope="session")
def exported():
    """The installed model's folder, with its checked ONNX export (made here when missing)."""
    settings = load_settings()
    folder = weights.require(settings.models_dir, "embeddinggemma")
    if not onnx_gemma.is_exported(folder):
        try:
            onnx_gemma.export(folder)
        except ImportError as e:  # onnxscript or onnx missing: the export cannot be made here
            pytest.skip(f"the ONNX export cannot be made ({e}); run: pip install -e . && make setup")
    return settings.models_dir


@pytest.fixture(scope="session")
def both(exported):
    return {b: get_embedder("embeddinggemma", exported, b) for b in ("torch", "onnx")}


def test_onnx_query_vectors_match_torch(both):
    assert both["onnx"].backend == "onnx" and both["torch"].backend == "torch"
    for q in QUERIES:
        a, b = both["torch"].embed_query(q), both["onnx"].embed_query(q)
        assert a.shape == b.shape == (768,)
        assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) >= 0.99999, q
    docs = ["理事会文件 GB.332/PFA/8。", "The ILO will strengthen South-South and triangular cooperation. " * 20]
    c = (both["torch"].embed_documents(docs) * both["onnx"].embed_documents(docs)).sum(axis=1)
    assert c.min() >= 0.99999


def test_english_gold_question_ranks_the_same_first_unit(engine, both):
    from assistant.engine import Engine

    gold = next(g for g in load_gold() if g["id"] == "q005")  # the ILO's main vehicle: Decent Work Country Programmes
    first = {}
    for b, model in both.items():
        e = Engine(engine.settings.model_copy(update={"embed_backend": b}), index=engine.index, embedder=model)
        first[b] = e.ask(gold["question"]).to_dict()["retrieved"][0]["id"]
    assert first["torch"] == first["onnx"] == gold["gold"][0]


def _ask(question: str, env: dict) -> subprocess.CompletedProcess:
    code = (
        "import contextlib, io, json, sys\n"
        "from assistant.interfaces.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    assert main(['ask', {question!r}, '--json']) == 0\n"
        "d = json.loads(out.getvalue())\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'llama_index.core')\n"
        "print(json.dumps({'answered': d['answered'], 'retrieved': [r['id'] for r in d['retrieved']],\n"
        "                  'loaded': [m for m in heavy if m in sys.modules]}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )


def test_a_question_with_the_onnx_backend_never_imports_torch(engine, exported):
    r = _ask(QUERIES[1], {"ILO_INDEX_DIR": str(engine.settings.index_dir), "ILO_EMBED_BACKEND": "onnx"})
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["answered"] and d["retrieved"][0] == "GB.334-INS-3-1:d2.5"
    assert d["loaded"] == [], f"the ONNX query path imported {d['loaded']}"  # llama-index: writes the index only


@pytest.fixture
def models_without_export(tmp_path, exported):
    """A models folder holding the installed EmbeddingGemma (linked, file by file) but not its export."""
    src = exported / "embeddinggemma"
    dst = tmp_path / "models" / "embeddinggemma"
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if rel.parts[0] == onnx_gemma.ONNX_FOLDER or rel.parts[0].startswith(".onnx-") or path.is_dir():
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        (dst / rel).symlink_to(path)
    assert weights.is_installed(tmp_path / "models", "embeddinggemma")
    assert not onnx_gemma.is_exported(dst)
    return tmp_path / "models"


def test_a_missing_export_falls_back_to_torch_with_a_message(engine, models_without_export):
    env = {"ILO_INDEX_DIR": str(engine.settings.index_dir), "ILO_MODELS_DIR": str(models_without_export)}
    r = _ask(QUERIES[1], {**env, "ILO_EMBED_BACKEND": "auto"})
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["answered"] and d["retrieved"][0] == "GB.334-INS-3-1:d2.5" and "torch" in d["loaded"]
    said = [line for line in r.stderr.splitlines() if "ONNX" in line]
    assert len(said) == 1 and "no ONNX export" in said[0] and "models export embeddinggemma" in said[0], r.stderr
    assert "using torch" in said[0]


def test_onnx_asked_for_but_unavailable_is_a_clear_error(exported, models_without_export, monkeypatch):
    from assistant.models.embed import _gemma

    with pytest.raises(weights.ModelMissing, match="models export embeddinggemma"):
        get_embedder("embeddinggemma", models_without_export, "onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if onnxruntime were not installed
    with pytest.raises(weights.ModelMissing, match="onnxruntime is not installed"):
        _gemma(exported, "onnx", None)


def test_models_list_and_export_are_idempotent(exported):
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "models", "export", "embeddinggemma"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "ILO_MODELS_DIR": str(exported)},
    )  # fmt: skip
    assert r.returncode == 0 and "checked ONNX export" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "assistant", "models", "list"], cwd=ROOT, capture_output=True, text=True)
    assert "embeddinggemma: installed, ONNX export checked" in r.stdout


def test_a_retrieval_question_reads_sentence_vectors_once(engine, monkeypatch):
    """With reranking on, the candidates' sentence vectors are read from Chroma once and serve both the
    reranker and the choice of quoted sentences (they were read twice)."""
    calls = []
    read = engine.index.sentence_vectors

    def counting(unit_ids, lang=None):
        calls.append(list(unit_ids))
        return read(unit_ids, lang)

    monkeypatch.setattr(engine.index, "sentence_vectors", counting)
    a = engine.ask(QUERIES[1])
    assert a.answered and a.citations[0].unit.id == "GB.334-INS-3-1:d2.5"
    assert len(calls) == 1 and len(calls[0]) == engine.settings.rerank_depth, calls
