"""Shared fixtures: real corpus, real Chroma, real embedding models (no test doubles here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import ROOT, load_settings

CORPUS = ROOT / "corpus"
PLAN = CORPUS / "GB.334-INS-3-1.zh.txt"


@pytest.fixture(scope="session")
def plan_text() -> str:
    return PLAN.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """The default configuration (EmbeddingGemma, hybrid) over an index built once for the session."""
    from assistant.engine import Engine
    from assistant.index import build_index

    settings = load_settings(index_dir=tmp_path_factory.mktemp("index"))
    build_index(settings, progress=False)
    return Engine(settings)


def copy_corpus(dest: Path) -> Path:
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def small_settings(tmp_path):
    """A private corpus copy and index, embedded with the fast e5-small model (build mechanics tests)."""
    corpus = copy_corpus(tmp_path / "corpus")
    return load_settings(corpus_dir=corpus, index_dir=tmp_path / "index", embed_model="e5-small")
