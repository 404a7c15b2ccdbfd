"""What keeps `serve` answering under load and exposure: bounded concurrency, a request size limit and
the API key. Plain ASGI and asyncio; nothing here imports FastAPI."""

from __future__ import annotations

import asyncio
import hmac
import json


class Busy(RuntimeError):
    """Every worker is busy and the queue is full: the client should retry later (503, Retry-After)."""


class Gate:
    """At most `workers` requests answered at once and `queue` more waiting for one; past both, `Busy`.

    Used from one event loop: `enter()` takes a place (or raises Busy), `Ticket.worker()` waits for a
    worker, `Ticket.release()` gives both back (idempotent, so a stream can release it from several paths)."""

    def __init__(self, workers: int, queue: int):
        self.workers, self.queue = workers, queue
        self._free = asyncio.Semaphore(workers)
        self.held = 0  # requests answered or waiting

    def enter(self) -> Ticket:
        if self.held >= self.workers + self.queue:
            raise Busy(f"all {self.workers} workers are busy and {self.queue} requests are waiting; retry shortly")
        self.held += 1
        return Ticket(self)

    @property
    def waiting(self) -> int:
        return max(0, self.held - self.workers)


class Ticket:
    def __init__(self, gate: Gate):
        self.gate, self.working, self.done = gate, False, False

    async def worker(self) -> None:
        await self.gate._free.acquire()
        self.working = True

    def release(self) -> None:
        if self.done:
            return
        self.done = True
        self.gate.held -= 1
        if self.working:
            self.gate._free.release()


def error_body(status: int, message: str, kind: str = "invalid_request_error") -> bytes:
    """The API's one error shape (OpenAI's, which its clients read): {"error": {"message", "type", "code"}}."""
    return json.dumps({"error": {"message": message, "type": kind, "code": status}}, ensure_ascii=False).encode()


# Room for the multipart envelope of an upload (boundaries, headers, the form's other fields) beside its file.
MULTIPART_SLACK = 64 * 1024


class ApiGuard:
    """ASGI middleware in front of the API (paths under /v1/, and /healthz): with a `key`, a request without
    `Authorization: Bearer KEY` gets 401; a body larger than `limit` bytes gets 413, before the application
    sees it (by its Content-Length, or while it is read when chunked). Other paths (the chat window) pass.
    `uploads`: {path: file size limit in bytes} for routes that take a file (POST), whose bodies may be that large."""

    def __init__(self, app, limit: int, key: str = "", uploads: dict[str, int] | None = None):
        self.app, self.limit, self.key, self.uploads = app, limit, key, uploads or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not (scope["path"].startswith("/v1/") or scope["path"] == "/healthz"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if self.key and not key_matches(headers.get(b"authorization", b"").decode("latin-1"), self.key):
            message = "a valid API key is required: Authorization: Bearer KEY (ILO_API_KEY)"
            return await _send_error(send, 401, message, "authentication_error", [(b"www-authenticate", b"Bearer")])
        file_limit = self.uploads.get(scope["path"]) if scope.get("method") == "POST" else None
        limit = self.limit if file_limit is None else file_limit + MULTIPART_SLACK
        declared = headers.get(b"content-length", b"").decode() or "0"
        if declared.isdigit() and int(declared) > limit:
            return await self._refuse(send, int(declared), file_limit=file_limit)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > limit:
                return await self._refuse(send, size, at_least=more, file_limit=file_limit)
        body = b"".join(chunks)  # joined once: an upload comes in many small chunks
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _refuse(self, send, size: int, at_least: bool = False, file_limit: int | None = None) -> None:
        over = "over " if at_least else ""
        if file_limit is not None:
            message = (
                f"the upload is {over}{size / 1e6:.1f} MB; files up to {file_limit / 1e6:g} MB are accepted "
                "(ILO_MAX_DOCUMENT_MB): split the document"
            )
        else:
            message = (
                f"the request is {over}{size:,} bytes; the limit is {self.limit:,} "
                "(ILO_SERVE_MAX_BODY_KB). Ask about one point at a time."
            )
        await _send_error(send, 413, message)


async def _send_error(send, status: int, message: str, kind: str = "invalid_request_error", extra=()) -> None:
    body = error_body(status, message, kind)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def key_matches(authorization: str | None, key: str) -> bool:
    """`Authorization: Bearer KEY`, compared in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode())
