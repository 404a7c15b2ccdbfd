"""/v1/documents through real HTTP: `python -m assistant serve` (uvicorn) over a copy of the corpus and an index
embedded with the real e5-small model (the fast one; EmbeddingGemma takes minutes for the plan on 2 cores).
Uploads are previewed, refused with 413/415/422 leaving the corpus and the index as they were, added and
answered from, removed and no longer cited; the plan is protected; a wrong key is refused."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading

import httpx
import pytest
from conftest import copy_build, free_port, wait_for_port

from assistant.config import ROOT

KEY = "docs-key-0123456789"
PAPER = """# Lighthouse keepers' apprenticeships

GB.999/TEST/1

1. The Office will pilot an apprenticeship scheme for lighthouse keepers in three coastal member States in 2019.¹

2. The pilot will be evaluated by the Evaluation Office before any extension of the apprenticeship scheme.
"""
QUESTION = "Which scheme will the Office pilot for lighthouse keepers in coastal member States?"
LIMIT_MB = 0.2  # ILO_MAX_DOCUMENT_MB for the server: an oversized file is quick to make


@pytest.fixture(scope="module")
def server(e5_build, tmp_path_factory):
    root = tmp_path_factory.mktemp("docs-api")
    corpus, index = copy_build(e5_build, root)
    env = {
        **os.environ,
        "ILO_CORPUS_DIR": str(corpus),
        "ILO_INDEX_DIR": str(index),
        "ILO_EMBED_MODEL": "e5-small",
        "ILO_API_KEY": KEY,
        "ILO_MAX_DOCUMENT_MB": str(LIMIT_MB),
    }
    port = free_port()
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--no-ui"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        wait_for_port(port, proc, 240, "serve", log)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {KEY}"}, timeout=120
        )
        yield {"url": f"http://127.0.0.1:{port}", "client": client, "root": root, "corpus": corpus, "index": index}
    finally:
        proc.terminate()
        proc.wait(30)


def state(server) -> dict:
    """Every file of the corpus and the active build, by content: what must not change on a refusal."""
    files = {
        str(p.relative_to(server["root"])): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in server["corpus"].rglob("*")
        if p.is_file()
    }
    files["current.json"] = (server["index"] / "current.json").read_text(encoding="utf-8")
    return files


def upload(server, name: str, data: bytes, **fields):
    return server["client"].post("/v1/documents", files={"file": (name, data)}, data=fields)


def cited_docs(answer: dict) -> set[str]:
    return {c["doc"] for c in answer["citations"]}


def test_preview_gives_the_units_and_warnings_and_adds_nothing(server):
    before = state(server)
    r = upload(server, "lighthouse.md", PAPER.encode(), preview="true")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["preview"] is True and d["id"] == "GB.999-TEST-1" and d["symbol"] == "GB.999/TEST/1"
    assert [u["label"] for u in d["units"]] == ["Title", "¶1", "¶2"]
    assert d["warnings"] == ["¶1: marker 1 points to no footnote"]  # what `units PATH` warns about
    assert state(server) == before


def test_broken_unsupported_and_oversized_files_are_refused_and_change_nothing(server):
    before = state(server)
    r = upload(server, "tool.exe", b"MZ\x90\x00")
    assert (
        r.status_code == 415
        and "tool.exe: unsupported file type; accepted: .pdf, .docx" in r.json()["error"]["message"]
    )
    big = b"1. A paragraph that goes on.\n" * int(LIMIT_MB * 1e6 / 20)
    r = upload(server, "big.txt", big)
    assert r.status_code == 413, r.text
    assert "files up to 0.2 MB are accepted (ILO_MAX_DOCUMENT_MB)" in r.json()["error"]["message"]
    r = upload(server, "broken.pdf", b"%PDF-1.4 this is not really a PDF")
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("broken.pdf: not a readable PDF")
    r = upload(server, "notes.txt", b"\xff\xfe not UTF-8")
    assert r.status_code == 422 and r.json()["error"]["message"] == "notes.txt: not UTF-8 text"
    r = upload(server, "empty.md", b"", preview="true")
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    assert state(server) == before
    assert server["client"].post("/v1/ask", json={"question": "What does paragraph 12 say?"}).status_code == 200


def test_upload_is_answered_from_then_delete_removes_it(server):
    client = server["client"]
    before = client.get("/v1/documents").json()
    answers: list[int] = []
    stop = threading.Event()

    def keep_asking():  # the chat keeps answering while a document is added
        while not stop.is_set():
            answers.append(client.post("/v1/ask", json={"question": "国际劳工组织的附加值体现在哪里？"}).status_code)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        r = upload(server, "lighthouse.md", PAPER.encode(), lang="en")
    finally:
        stop.set()
        asker.join()
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["id"] == "GB.999-TEST-1" and added["units"] == 3 and not added["replaced"]
    assert added["warnings"] == ["¶1: marker 1 points to no footnote"] and added["build"] != before["build"]
    assert answers and set(answers) == {200}, answers

    listed = {d["id"]: d for d in client.get("/v1/documents").json()["documents"]}
    new = listed["GB.999-TEST-1"]
    assert new["indexed"] and new["units"] == 3 and new["added"].endswith("Z") and not new["protected"]
    assert new["languages"] == [{"lang": "en", "official": True, "provenance": "original"}]
    plan = listed["GB.334-INS-3-1"]
    assert plan["protected"] and plan["versions"] == {"en": "machine translation by local:qwen2.5-1.5b"}

    a = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert a["answered"] and a["build"] == added["build"]
    assert "GB.999-TEST-1:p1" in [c["id"] for c in a["citations"]], a

    r = client.delete("/v1/documents/GB.999-TEST-1")
    assert r.status_code == 200 and r.json()["removed"] == "GB.999-TEST-1"
    assert "GB.999-TEST-1" not in [d["id"] for d in client.get("/v1/documents").json()["documents"]]
    assert not (server["corpus"] / "GB.999-TEST-1.en.md").exists()
    a = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert "GB.999-TEST-1" not in cited_docs(a) and a["build"] == r.json()["build"]
    a = client.post("/v1/ask", json={"question": "What does GB.999/TEST/1 say?"}).json()
    assert "GB.999-TEST-1" not in cited_docs(a)


def test_the_plan_is_protected_and_unknown_documents_are_404(server):
    before = state(server)
    r = server["client"].delete("/v1/documents/GB.334-INS-3-1")
    assert r.status_code == 403 and "GB.334-INS-3-1 is protected" in r.json()["error"]["message"]
    r = upload(server, "plan.md", PAPER.encode(), symbol="GB.334/INS/3/1")  # replacing it is refused too
    assert r.status_code == 403
    r = server["client"].delete("/v1/documents/GB.000-NOPE")
    assert r.status_code == 404 and "no document 'GB.000-NOPE'" in r.json()["error"]["message"]
    assert state(server) == before


def test_a_wrong_key_is_refused(server):
    before = state(server)
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = httpx.post(f"{server['url']}/v1/documents", files={"file": ("x.md", PAPER.encode())}, headers=headers)
        assert r.status_code == 401 and "API key" in r.json()["error"]["message"]
        assert httpx.delete(f"{server['url']}/v1/documents/GB.334-INS-3-1", headers=headers).status_code == 401
        assert httpx.get(f"{server['url']}/v1/documents", headers=headers).status_code == 401
    assert state(server) == before


def test_an_ingest_reports_its_progress_over_the_texts_it_embeds(e5_build, tmp_path):
    """What the Documents tab's progress bar shows: texts done of the texts to embed, rising to the total."""
    from assistant.config import load_settings
    from assistant.interfaces import library as L

    corpus, index = copy_build(e5_build, tmp_path)
    s = load_settings(corpus_dir=corpus, index_dir=index, embed_model="e5-small")
    paper = tmp_path / "lighthouse.md"
    paper.write_text(PAPER, encoding="utf-8")
    seen: list[tuple[int, int]] = []
    r = L.ingest(s, L.prepare(s, paper), on_progress=lambda done, total: seen.append((done, total)))
    assert r["id"] == "GB.999-TEST-1" and r["embedded"] > 0
    totals = {t for _, t in seen}
    assert len(totals) == 1 and seen[-1] == (totals.pop(),) * 2  # the sentences of its 3 units
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert L.list_documents(s)[0][-1]["id"] == "GB.999-TEST-1"
