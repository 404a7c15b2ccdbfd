"""`python -m assistant serve` through real HTTP: a uvicorn process over a copy of the session's index (the
real EmbeddingGemma model), the `openai` client, the CLI beside it, an ingest while it answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import copy_corpus, free_port, wait_for_port

from assistant.config import ROOT

KEY = "test-key-0123456789"
QUESTION = "国际劳工组织的附加值体现在哪里？"  # retrieval; the answer cites ¶29
EXTRA = """# Lighthouse keepers' apprenticeships

GB.999/TEST/1

1. The Office will pilot an apprenticeship scheme for lighthouse keepers in three coastal member States in 2019.

2. The pilot will be evaluated by the Evaluation Office before any extension of the apprenticeship scheme.
"""


@pytest.fixture(scope="module")
def server(engine, tmp_path_factory):
    """The server over a private corpus and index (copied from the session's: the vectors come from its
    cache), with a key, one worker and a queue of one."""
    root = tmp_path_factory.mktemp("serve")
    corpus = copy_corpus(root / "corpus")
    index = root / "index"
    shutil.copytree(engine.settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    env = {
        **os.environ,
        "ILO_CORPUS_DIR": str(corpus),
        "ILO_INDEX_DIR": str(index),
        "ILO_API_KEY": KEY,
        "ILO_SERVE_WORKERS": "1",
        "ILO_SERVE_QUEUE": "1",
    }
    port = free_port()
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        wait_for_port(port, proc, 240, "serve", log)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {KEY}"}, timeout=120
        )
        yield {"port": port, "env": env, "client": client, "root": root, "log": log}
    finally:
        proc.terminate()
        proc.wait(30)


def cli(args, env, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_openai_client_with_and_without_streaming(server):
    import openai

    client = openai.OpenAI(base_url=f"http://127.0.0.1:{server['port']}/v1", api_key=KEY, max_retries=0)
    r = client.chat.completions.create(model="ilo-test", messages=[{"role": "user", "content": QUESTION}])
    assert r.model == "ilo-test" and r.choices[0].finish_reason == "stop"
    text = r.choices[0].message.content
    assert "[¶29]" in text
    citations = r.model_extra["citations"]
    assert "¶29" in [c["label"] for c in citations] and all(c["id"].startswith("GB.334-INS-3-1:") for c in citations)

    stream = client.chat.completions.create(
        model="ilo-test",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "What does paragraph 27 say?"},
            {"role": "assistant", "content": "…"},
            {"role": "user", "content": QUESTION},
        ],
        stream=True,
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == text  # the history does not change a standalone question's answer
    assert all(c.model == "ilo-test" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [c["id"] for c in chunks[-1].model_extra["citations"]] == [c["id"] for c in citations]


def test_ask_gives_the_answer_of_ask_json(server):
    r = server["client"].post("/v1/ask", json={"id": "q1", "question": QUESTION})
    assert r.status_code == 200, r.text
    api = r.json()
    c = cli(["ask", QUESTION, "--json"], server["env"])
    assert c.returncode == 0, c.stderr
    local = json.loads(c.stdout)
    assert api["id"] == "q1" and api["answered"] and api["mode"] == "extractive"
    assert api["answer"] == local["answer"]
    assert [x["id"] for x in api["citations"]] == [x["id"] for x in local["citations"]]
    assert api["build"] == local["build"]
    # A look-up, a follow-up with its history and one document, as in a batch line.
    r = server["client"].post(
        "/v1/ask",
        json={
            "question": "And what does footnote 18 say?",
            "history": [{"role": "user", "content": "What does paragraph 27 say?"}],
            "doc": "GB.334-INS-3-1",
            "mode": "extractive",
        },
    )
    assert r.status_code == 200 and r.json()["citations"][0]["label"] == "fn 18"


def test_a_key_is_required_when_one_is_set(server):
    url = f"http://127.0.0.1:{server['port']}"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        r = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "API key" in r.json()["error"]["message"]
        assert httpx.get(f"{url}/healthz", headers=headers).status_code == 401
    health = server["client"].get("/healthz").json()
    assert health["status"] == "ok" and health["documents"][0]["units"] == 74
    assert health["embed_model"] == "embeddinggemma" and health["backend"] == "extractive"
    assert httpx.get(f"{url}/").status_code == 200  # the chat window (no login on 127.0.0.1)
    docs = httpx.get(f"{url}/docs")
    # Swagger UI comes from this server, not a CDN: the page works on a machine without internet.
    assert docs.status_code == 200 and "/docs-static/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text
    assert httpx.get(f"{url}/docs-static/swagger-ui-bundle.js").status_code == 200


def test_limits_give_clear_errors(server):
    client = server["client"]
    r = client.post("/v1/ask", json={"question": "x" * 400_000})
    assert r.status_code == 413
    message = r.json()["error"]["message"]
    assert message.startswith("the request is 400,0")
    assert "bytes; the limit is 262,144 (ILO_SERVE_MAX_BODY_KB)" in message
    r = client.post("/v1/ask", json={"question": " \u200b "})
    assert r.status_code == 422 and r.json()["error"]["message"] == "the question is empty"
    r = client.post("/v1/ask", json={"question": "x" * 3000})
    assert r.status_code == 422 and "3,000 characters long; the limit is 2,000" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": ""}]})
    assert r.status_code == 422 and r.json()["error"]["message"] == "the question is empty"
    r = client.post("/v1/ask", json={"question": QUESTION, "doc": "nope"})
    assert r.status_code == 422 and "there is no document 'nope'" in r.json()["error"]["message"]
    assert client.get("/v1/units/nope").status_code == 404


def test_units_documents_and_briefs(server):
    client = server["client"]
    u = client.get("/v1/units/GB.334-INS-3-1:fn18").json()
    assert u["label"] == "fn 18" and u["doc"] == "GB.334-INS-3-1" and u["symbol"] == "GB.334/INS/3/1"
    assert u["texts"]["zh"] == u["text"] and u["cited_by"]
    docs = client.get("/v1/documents").json()["documents"]
    assert docs[0]["id"] == "GB.334-INS-3-1" and docs[0]["units"] == 74
    b = client.post("/v1/brief", json={"topic": "South-South cooperation"}).json()
    assert b["backend"] == "extractive" and "D2.5" in [x["label"] for x in b["deliverables"]]
    md = client.post("/v1/brief", json={"topic": "South-South cooperation", "format": "markdown"})
    assert md.text == b["markdown"] and md.headers["content-type"].startswith("text/markdown")
    docx = client.post("/v1/brief", json={"topic": "South-South cooperation", "format": "docx"})
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    r = client.post("/v1/brief", json={"topic": "a recipe for pork dumplings"})
    assert r.status_code == 422 and "nothing close enough" in r.json()["error"]["message"]


def test_a_full_queue_is_a_503_with_retry_after(server):
    """One worker and a queue of one: of 8 simultaneous questions 2 can be taken, the others are told to retry."""
    questions = [QUESTION, "How are country programmes designed?", "What is South-South cooperation?"] * 3
    results = [None] * 8
    start = threading.Barrier(8)

    def ask(i):
        start.wait()
        results[i] = server["client"].post("/v1/ask", json={"question": questions[i]})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert set(codes) == {200, 503} and codes.count(200) >= 2, codes
    busy = next(r for r in results if r.status_code == 503)
    assert busy.headers["retry-after"] == "2" and "retry" in busy.json()["error"]["message"]
    assert server["client"].post("/v1/ask", json={"question": QUESTION}).status_code == 200  # free again


def test_an_ingest_while_serving_is_picked_up_and_fails_no_request(server):
    client, env = server["client"], server["env"]
    before = client.get("/healthz").json()["build"]
    statuses, builds, done = [], set(), threading.Event()

    def keep_asking():
        while not done.is_set():
            r = client.post("/v1/ask", json={"question": QUESTION})
            statuses.append(r.status_code)
            if r.status_code == 200:
                builds.add(r.json()["build"])

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        paper = server["root"] / "lighthouse.md"
        paper.write_text(EXTRA, encoding="utf-8")
        r = cli(["ingest", str(paper), "--symbol", "GB.999/TEST/1", "--lang", "en", "--quiet", "--yes"], env)
        assert r.returncode == 0, r.stderr
        time.sleep(1)
    finally:
        done.set()
        asker.join()
    assert statuses and set(statuses) == {200}, statuses
    after = client.get("/healthz").json()
    assert after["build"] != before and [d["symbol"] for d in after["documents"]][-1] == "GB.999/TEST/1"
    a = client.post("/v1/ask", json={"question": "What does GB.999/TEST/1 say about lighthouse keepers?"}).json()
    assert a["answered"] and a["build"] == after["build"]
    assert a["citations"] and {c["doc"] for c in a["citations"]} == {"GB.999-TEST-1"}, a
    assert builds <= {before, after["build"]}


def test_an_exposed_address_needs_a_key_and_the_login(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("ILO_API_KEY", "ILO_UI_USERNAME", "ILO_UI_PASSWORD")}
    r = cli(["serve", "--host", "0.0.0.0", "--port", str(free_port())], env, timeout=60)
    assert r.returncode == 2 and "ILO_API_KEY, ILO_UI_USERNAME, ILO_UI_PASSWORD" in r.stderr
    r = cli(["serve", "--host", "0.0.0.0", "--port", "1"], {**env, "ILO_API_KEY": KEY}, timeout=60)
    assert r.returncode == 2 and "set ILO_UI_USERNAME, ILO_UI_PASSWORD" in r.stderr
