"""Index builds: incremental by content hash, atomic when interrupted, locked, clear errors.

These use the real e5-small model and real Chroma (fast enough to build several times)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import free_port, wait_for_port
from docgen import write_pdf
from filelock import FileLock
from test_formats import english_doc

from assistant.config import ROOT
from assistant.documents.corpus import CorpusError, add_to_corpus, prepare, remove_from_corpus
from assistant.engine import Engine
from assistant.search.index import (
    IndexBusy,
    IndexCorrupt,
    IndexMissing,
    _sentence_records,
    build_index,
    chroma_client,
    collection_names,
    load_index,
)


def edit_plan(settings, old: str, new: str) -> None:
    path = settings.corpus_dir / "GB.334-INS-3-1.zh.txt"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_unchanged_corpus_rebuilds_nothing(small_settings):
    first = build_index(small_settings, progress=False)
    assert not first.unchanged and first.embedded > 0
    again = build_index(small_settings, progress=False)
    assert again.unchanged and again.embedded == 0 and again.build_id == first.build_id


def test_units_are_met_by_their_best_sentence_and_llama_index_reads_the_store(small_settings):
    """A build embeds sentences only; a unit's stored vector is their mean, and llama-index's ChromaVectorStore
    over the units returns the unit's text for a query (records are written without llama-index)."""
    from llama_index.core.vector_stores.types import VectorStoreQuery

    from assistant.models.embed import for_settings

    report = build_index(small_settings, progress=False)
    assert report.embedded + report.reused == report.sentences
    index = load_index(small_settings)
    assert index.by_sentence
    query = for_settings(small_settings).embed_query("金砖国家包括哪些国家？")
    dense = [uid for uid, _ in index.dense(query, 5)]
    assert "GB.334-INS-3-1:fn16" in dense  # 巴西、俄罗斯、印度、中国和南非
    found = index.unit_store.query(VectorStoreQuery(query_embedding=query.tolist(), similarity_top_k=5))
    assert "巴西、俄罗斯、印度、中国和南非。" in [n.text for n in found.nodes]


def test_one_changed_paragraph_embeds_only_its_texts(small_settings):
    build_index(small_settings, progress=False)
    edit_plan(small_settings, "劳工局的实力在于是否拥有一支精干敬业的劳动力队伍。", "劳工局的实力在于一支敬业的队伍。")
    report = build_index(small_settings, progress=False)
    assert not report.unchanged
    assert 1 <= report.embedded <= 3  # ¶25 and its changed sentence, nothing else
    engine = Engine(small_settings)
    assert "一支敬业的队伍" in engine.ask("第25段说了什么").answer


def test_interrupted_build_leaves_old_index_usable(small_settings):
    old = build_index(small_settings, progress=False)
    # A second document makes the next build long enough to kill in the middle of embedding.
    text = (small_settings.corpus_dir / "GB.334-INS-3-1.zh.txt").read_text(encoding="utf-8")
    (small_settings.corpus_dir / "copy.txt").write_text(text.replace("国际劳工组织", "国际劳工局"), encoding="utf-8")
    manifest = json.loads((small_settings.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"].append({**manifest["documents"][0], "id": "COPY", "source": "copy.txt"})
    (small_settings.corpus_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    env = {
        **os.environ,
        "ILO_CORPUS_DIR": str(small_settings.corpus_dir),
        "ILO_INDEX_DIR": str(small_settings.index_dir),
        "ILO_EMBED_MODEL": "e5-small",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    seen = ""
    while "text/s]" not in seen:  # the progress bar has started counting
        seen += proc.stderr.read(1)
        assert proc.poll() is None, seen
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    current = json.loads((small_settings.index_dir / "current.json").read_text())
    assert current["build"] == old.build_id
    engine = Engine(small_settings)
    assert engine.ask("第12段说了什么").answered
    resumed = build_index(small_settings, progress=False)  # the lock died with the process
    assert resumed.reused > 230  # the old document's vectors and what the killed build cached
    assert resumed.embedded + resumed.reused == resumed.sentences  # every sentence (a unit's vector is their mean)
    assert load_index(small_settings).build_id == resumed.build_id


def test_wiped_vector_store_is_refilled_from_the_cache(small_settings):
    first = build_index(small_settings, progress=False)
    client = chroma_client(small_settings)
    for name in collection_names("e5-small"):  # the store is lost (a new server); current.json and cache remain
        client.delete_collection(name)
    again = build_index(small_settings, progress=False)
    assert not again.unchanged and again.embedded == 0 and again.indexed == ["GB.334-INS-3-1"]
    assert again.build_id == first.build_id
    assert Engine(small_settings).ask("第12段说了什么").answered


def test_second_writer_gets_a_clear_error(small_settings):
    small_settings.index_dir.mkdir(parents=True)
    settings = small_settings.model_copy(update={"lock_timeout_s": 0.2})
    with FileLock(str(settings.index_dir / ".lock")):
        t = time.perf_counter()
        with pytest.raises(IndexBusy, match="another process is building"):
            build_index(settings, progress=False)
        assert time.perf_counter() - t < 5


def test_missing_index_says_what_to_run(small_settings):
    with pytest.raises(IndexMissing, match="python -m assistant ingest"):
        load_index(small_settings)


def test_corrupt_index_says_what_to_run(small_settings):
    build_index(small_settings, progress=False)
    (small_settings.index_dir / "current.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="python -m assistant ingest"):
        load_index(small_settings)
    assert not build_index(small_settings, progress=False).unchanged  # ingest repairs it
    assert load_index(small_settings).units


def test_broken_corpus_file_leaves_index_intact(small_settings):
    good = build_index(small_settings, progress=False)
    (small_settings.corpus_dir / "GB.334-INS-3-1.zh.txt").write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(CorpusError, match="not UTF-8"):
        build_index(small_settings, progress=False)
    (small_settings.corpus_dir / "GB.334-INS-3-1.zh.txt").write_text("no structure at all", encoding="utf-8")
    with pytest.raises(CorpusError, match="GB.334-INS-3-1.zh.txt"):
        build_index(small_settings, progress=False)
    assert load_index(small_settings).build_id == good.build_id


def test_same_code_runs_against_a_chroma_server(small_settings, tmp_path):
    """A real `chroma run` server, started here; the client is chosen by configuration alone."""
    port = free_port()
    chroma = ROOT / ".venv" / "bin" / "chroma"
    server = subprocess.Popen(
        [
            str(chroma) if chroma.exists() else "chroma",
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        settings = small_settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port})
        wait_for_port(port, server, 60, "chroma server")
        report = build_index(settings, progress=False)
        assert not (settings.chroma_dir).exists()  # nothing went to the embedded store
        assert build_index(settings, progress=False).unchanged
        a = Engine(settings).ask("南南合作方面有哪些2019年的可交付成果？")
        assert a.answered and "GB.334-INS-3-1:d2.5" in [r["id"] for r in a.retrieved]
        assert report.units == len(load_index(settings).units)

        # Several documents on the server: one added and asked alone, then removed; each time only it changes.
        review = tmp_path / "review.pdf"
        write_pdf(english_doc(), review, page_size=(298, 420))
        doc = prepare(review)
        added = build_index(settings, progress=False, change=lambda: add_to_corpus(settings.corpus_dir, [doc]))
        texts = {x["text"] for x in _sentence_records(doc.units)}
        assert added.indexed == [doc.info.id] and added.embedded == len(texts)  # its texts, not the plan's
        a = Engine(settings).ask("How are decent work country programmes designed?", doc=doc.info.id)
        assert a.answered and {c.unit.doc for c in a.citations} == {doc.info.id}
        removed = build_index(
            settings, progress=False, change=lambda: remove_from_corpus(settings.corpus_dir, [doc.info.id])
        )
        assert removed.removed == [doc.info.id] and removed.indexed == [] and removed.embedded == 0
        assert {u.doc for u in load_index(settings).units} == {"GB.334-INS-3-1"}
    finally:
        server.terminate()
        server.wait(timeout=30)
