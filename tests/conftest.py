"""Shared fixtures: real corpus, real Chroma, real embedding models (no test doubles here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Answers are extractive unless a test asks for a language model: `auto` would pick whatever chat model
# happens to be installed on the machine (the apps that tests start inherit this too).
os.environ["ILO_ANSWER_MODE"] = "extractive"

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
    from assistant.search.index import build_index

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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc, seconds: float, what: str, log: Path | None = None) -> None:
    """Wait until a server we started listens on the port; fail early if its process died."""
    import socket
    import time

    deadline = time.time() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert proc.poll() is None, f"{what} exited: {log.read_text() if log else ''}"
            assert time.time() < deadline, f"{what} did not start"
            time.sleep(0.5)


@pytest.fixture(scope="session")
def e5_build(tmp_path_factory):
    """The shipped corpus (with its English machine translation) and an index of it embedded with the fast
    e5-small model, built once; tests that change documents work on copies (`copy_build`)."""
    from assistant.search.index import build_index

    root = tmp_path_factory.mktemp("e5-build")
    settings = load_settings(corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index", embed_model="e5-small")
    build_index(settings, progress=False)
    return root


def copy_build(build: Path, dest: Path) -> tuple[Path, Path]:
    """(corpus, index) copied from a build made by `e5_build`; the embedding cache comes along."""
    shutil.copytree(build / "corpus", dest / "corpus")
    shutil.copytree(build / "index", dest / "index", ignore=shutil.ignore_patterns(".lock"))
    return dest / "corpus", dest / "index"
