"""The HTTP API's routes and request bodies (server.py builds the app around them).

Answers go through the Gate (a worker each, a bounded queue, 503 past it); listings do not. Errors are
OpenAI's shape, with the CLI's messages: an invalid question is 422 ("the question is empty").
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
import traceback
import uuid
import weakref
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..documents.corpus import CorpusError
from ..engine import ANSWER_MODES, InvalidQuestion
from ..models.llm import LLMUnavailable
from ..models.weights import ModelMissing
from ..search.index import IndexError_
from .brief import NoMaterial

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MODE = "extractive, local, openai, auto, or local:MODEL (default: the server's ILO_ANSWER_MODE)"


class Turn(BaseModel):
    role: str
    content: str


class AskRequest(BaseModel):
    """A line of `ask --batch`: the same fields, the same answer back (`ask --json`)."""

    id: Any = None
    question: str
    history: list[Turn] = []
    doc: str | None = Field(None, description="a document id (GET /v1/documents); default: all documents")
    mode: str | None = Field(None, description=MODE)
    retrieval: Literal["hybrid", "dense", "keyword"] = "hybrid"
    top_k: int | None = Field(None, ge=1, le=50)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat request: the last user message is the question, the earlier ones its history. A `model`
    that names an answer mode (`extractive`, `local:qwen2.5-0.5b`) picks it; any other is echoed only."""

    model_config = ConfigDict(extra="allow")
    model: str = "ilo-assistant"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    doc: str | None = Field(None, description="extension: ask about one document")


class BriefRequest(BaseModel):
    topic: str
    lang: Literal["en", "zh"] | None = None
    messages: int = Field(5, ge=3, le=7)
    doc: str | None = None
    mode: str | None = Field(None, description=MODE)
    format: Literal["json", "markdown", "docx"] = "json"


def _text(content) -> str:
    if isinstance(content, list):  # [{"type": "text", "text": "…"}, …]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content or ""


def chat_question(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(question, history) from OpenAI messages; system messages are not the documents' business."""
    turns = [{"role": m.role, "content": _text(m.content)} for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user":
        raise InvalidQuestion("the last message must be the user's question")
    return turns[-1]["content"], turns[:-1]


def _mode_of_model(model: str) -> str | None:
    return model if model.partition(":")[0] in ANSWER_MODES else None


def add_routes(app: FastAPI, settings, holder, gate, error) -> None:
    async def answering(work):
        """Run `work` in a thread once a worker is free (Busy → 503 when the queue is full too)."""
        ticket = gate.enter()
        try:
            await ticket.worker()
            return await run_in_threadpool(work)
        finally:
            ticket.release()

    @app.exception_handler(InvalidQuestion)
    @app.exception_handler(NoMaterial)
    async def invalid(_: Request, e: Exception):
        return error(422, str(e))

    @app.exception_handler(IndexError_)
    @app.exception_handler(ModelMissing)
    @app.exception_handler(CorpusError)
    @app.exception_handler(LLMUnavailable)
    async def not_ready(_: Request, e: Exception):
        return error(503, f"the assistant is not ready: {e}", "server_error")

    @app.exception_handler(Exception)
    async def failed(_: Request, e: Exception):  # the traceback goes to the server's log (uvicorn)
        message = f"the request failed ({type(e).__name__}); the server keeps running, see its log"
        return error(500, message, "server_error")

    @app.post("/v1/ask", summary="Answer a question: the JSON of `ask --json`")
    async def ask(req: AskRequest):
        def work():
            engine = holder.get().in_mode(req.mode)
            history = [t.model_dump() for t in req.history]
            a = engine.ask(req.question, history, req.retrieval, qid=req.id, top_k=req.top_k, doc=req.doc)
            return a.to_dict()

        return await answering(work)

    @app.post("/v1/chat/completions", summary="OpenAI-compatible chat; citations in `citations`")
    async def chat(req: ChatRequest):
        question, history = chat_question(req.messages)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": req.model}
        mode = _mode_of_model(req.model)
        if not req.stream:

            def work():
                return holder.get().in_mode(mode).ask(question, history, doc=req.doc).to_dict()

            a = await answering(work)
            message = {"role": "assistant", "content": a["answer"]}
            return {
                **head,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "citations": a["citations"],
                "ilo": {k: v for k, v in a.items() if k != "citations"},
            }
        return await _stream(question, history, mode, req.doc, head)

    async def _stream(question, history, mode, doc, head):
        """SSE: a role chunk, the checked answer (a draft is never sent: its unsupported sentences would be
        removed later), then a chunk with finish_reason and the citations, then [DONE]."""
        ticket = gate.enter()
        try:
            await ticket.worker()
            events = await run_in_threadpool(lambda: holder.get().in_mode(mode).ask_stream(question, history, doc=doc))
            first = await run_in_threadpool(next, events)  # the question is validated here: a 422, not a stream
        except BaseException:
            ticket.release()
            raise

        def chunk(delta: dict, finish=None, **extra) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            body = {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        async def body():
            try:
                yield chunk({"role": "assistant", "content": ""})
                event, drafting = first, False
                while isinstance(event, str):  # a model writing: keep the connection alive
                    if not drafting:
                        yield ": drafting; the answer is sent once its citations are checked\n\n"
                        drafting = True
                    event = await run_in_threadpool(next, events)
                a = event.to_dict()
                for piece in re.findall(r"[^\n]*\n|[^\n]+$", a["answer"]):
                    yield chunk({"content": piece})
                ilo = {k: v for k, v in a.items() if k != "citations"}
                yield chunk({}, "stop", citations=a["citations"], ilo=ilo)
                yield "data: [DONE]\n\n"
            except Exception as e:  # noqa: BLE001 - the headers are sent: the error goes in the stream
                traceback.print_exception(e, file=sys.stderr)
                failure = {"message": f"the answer failed ({type(e).__name__})", "type": "server_error", "code": 500}
                yield f"data: {json.dumps({'error': failure})}\n\n"
            finally:
                ticket.release()

        stream = body()
        loop = asyncio.get_running_loop()
        # A stream the client dropped before it started never runs its `finally`: its place is given back then.
        weakref.finalize(stream, loop.call_soon_threadsafe, ticket.release).atexit = False
        return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/v1/brief", summary="A briefing note: JSON (as `brief --json`), Markdown or DOCX")
    async def brief(req: BriefRequest):
        from . import brief as B

        def work():
            engine = holder.get().in_mode(req.mode)
            b = B.build_briefing(engine, req.topic, language=req.lang, max_messages=req.messages, doc=req.doc)
            md = B.to_markdown(b)
            if req.format == "json":
                return JSONResponse(b.to_dict())
            if req.format == "markdown":
                return Response(md, media_type="text/markdown; charset=utf-8")
            with tempfile.TemporaryDirectory() as folder:
                data = B.markdown_to_docx(md, Path(folder) / "note.docx", b.symbol).read_bytes()
            disposition = {"Content-Disposition": 'attachment; filename="briefing-note.docx"'}
            return Response(data, media_type=DOCX, headers=disposition)

        return await answering(work)

    add_document_routes(app, settings, error)

    @app.get("/v1/units/{unit_id}", summary="One unit: its text in every language, label, document")
    def unit(unit_id: str):
        from ..answers.answer import Citation

        engine = holder.get()
        u = engine.index.by_id.get(unit_id)
        if u is None:
            return error(404, f"no unit {unit_id!r} in the index (ids look like GB.334-INS-3-1:p12)", "not_found")
        symbol, language = engine.docs[u.doc]
        record = Citation(u, 1.0, [], "", language).to_dict()
        for k in ("score", "quote"):
            record.pop(k)
        notes = [f"{u.doc}:fn{n}" for n in u.footnotes]
        return {
            **record,
            "symbol": symbol,
            "footnotes": notes,
            "cited_by": list(u.cited_by),
            "build": engine.index.build_id,
        }

    @app.get("/v1/models", summary="OpenAI model list: the assistant, and the answer modes as models")
    def models():
        names = ["ilo-assistant", *ANSWER_MODES]
        return {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "ilo-assistant"} for n in names]}

    @app.get("/healthz", summary="The index build, its documents, the models and the queue")
    def healthz():
        engine = holder.get()
        ix = engine.index
        counts = Counter(u.doc for u in ix.units)
        return {
            "status": "ok",
            "build": ix.build_id,
            "documents": [{"id": d.id, "symbol": d.symbol, "units": counts[d.id]} for d in ix.documents],
            "embed_model": settings.embed_model,
            "embedder_loaded": getattr(engine.embedder, "loaded", True),
            "embed_backend": getattr(engine.embedder, "backend", None),  # onnx or torch once loaded
            "answer_mode": settings.answer_mode,
            "backend": engine.backend,
            "workers": gate.workers,
            "queue": gate.queue,
            "answering": min(gate.held, gate.workers),
            "waiting": gate.waiting,
        }


STATUS_TYPES = {403: "permission_error", 404: "not_found", 409: "conflict"}


def add_document_routes(app: FastAPI, settings, error) -> None:
    """GET, POST and DELETE /v1/documents: the corpus as the chat window's Documents tab shows it, an upload
    (previewed, or added and indexed), a removal. They do not queue behind answers: a build runs in a thread
    while questions are answered from the build in use (and from the new one once it is written)."""
    from . import library as L

    @app.exception_handler(L.Refused)
    async def refused(_: Request, e: L.Refused):
        return error(e.status, str(e), STATUS_TYPES.get(e.status, "invalid_request_error"))

    @app.get("/v1/documents", summary="The corpus: each document, its languages, units, date added, indexed or not")
    def documents():
        from ..search.index import IndexCorrupt, read_current

        rows, problem = L.list_documents(settings)
        try:
            build = (read_current(settings.index_dir) or {}).get("build")
        except IndexCorrupt:
            build = None
        return {"build": build, "documents": rows, "problem": problem, "accepted": settings.upload_types}

    @app.post(
        "/v1/documents",
        status_code=201,
        summary="Upload a document (multipart): with preview=true its units and warnings, else it is added and indexed",
    )
    async def upload(
        file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown or text, up to ILO_MAX_DOCUMENT_MB")],
        preview: Annotated[bool, Form(description="only parse: the units and warnings, nothing added")] = False,
        symbol: Annotated[str | None, Form(description="e.g. GB.332/PFA/8 (default: from the file)")] = None,
        lang: Annotated[str | None, Form(description="BCP 47 language code (default: from the file)")] = None,
        version_of: Annotated[str | None, Form(description="an official language version of this document")] = None,
        title: Annotated[str | None, Form()] = None,
        date: Annotated[str | None, Form()] = None,
        id: Annotated[str | None, Form(description="document id (default: the symbol, else the file name)")] = None,
    ):
        L.check_upload(settings, file.filename, file.size)  # 415 / 413 before the file is read
        data = await file.read()

        def work():
            with L.uploaded(settings, file.filename, data) as path:
                if version_of and not preview:
                    return L.add_version(settings, path, version_of, lang)
                prepared = L.prepare(settings, path, symbol, lang, id, title, date)
                found = L.preview(prepared)
                if preview:
                    return {**found, "preview": True}
                return {**L.ingest(settings, prepared), "warnings": found["warnings"], "preview": False}

        result = await run_in_threadpool(work)
        return JSONResponse(result, 200 if preview else 201)

    @app.delete("/v1/documents/{doc_id}", summary="Remove a document from the corpus and the index")
    async def delete(doc_id: str):
        return await run_in_threadpool(L.remove, settings, doc_id)
