"""`python -m assistant serve`: one warm process for scripts and tools. A FastAPI app with the HTTP API
and the chat window (ui.py's Gradio app, mounted at /), over one shared engine (EngineHolder: a new
index build is picked up at the next request; a request keeps the build it started with).

- POST /v1/ask               the JSON request and answer of `ask --json` / `--batch` records
- POST /v1/chat/completions  OpenAI-compatible, streaming (SSE) or not; citations in an extra field
- POST /v1/brief             a briefing note as JSON, Markdown or DOCX
- GET  /v1/documents, /v1/units/{id}, /healthz; OpenAPI at /docs
- POST /v1/documents (a file: preview its units and warnings, or add it), DELETE /v1/documents/{id}

Limits (config.py): ILO_SERVE_WORKERS answers at once, ILO_SERVE_QUEUE waiting, then 503 with
Retry-After; bodies over ILO_SERVE_MAX_BODY_KB get 413 (uploads: ILO_MAX_DOCUMENT_MB); questions are validated
as in the CLI (422).
With ILO_API_KEY set, every /v1 route and /healthz needs `Authorization: Bearer KEY`.
"""

from __future__ import annotations

import os
import sys

from ..config import ROOT, Settings
from .limits import ApiGuard, Busy, Gate, error_body

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def exposure_problem(settings: Settings, host: str) -> str | None:
    """Why the server may not bind to `host`, or None: any address but this machine's needs an API key
    and the chat window's login."""
    if host in LOCAL_HOSTS:
        return None
    missing = [
        name
        for name, value in (
            ("ILO_API_KEY", settings.api_key),
            ("ILO_UI_USERNAME", settings.ui_username),
            ("ILO_UI_PASSWORD", settings.ui_password),
        )
        if not (value.get_secret_value() if hasattr(value, "get_secret_value") else value)
    ]
    if not missing:
        return None
    return (
        f"binding to {host} exposes the assistant beyond this machine; set {', '.join(missing)} "
        "(the API's bearer key and the chat window's login)"
    )


def _ui_module():
    """ui.py, the chat window, from the repository root (None when the package runs without it)."""
    import importlib.util

    if "ui" in sys.modules:
        return sys.modules["ui"]
    path = ROOT / "ui.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("ui", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ui"] = module
    spec.loader.exec_module(module)
    return module


def add_offline_docs(app) -> None:
    """The OpenAPI page at /docs with Swagger UI served from the installed swagger-ui-bundle package:
    FastAPI's default page loads it from a CDN, which machines without internet cannot reach (a blank page)."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-static", StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} — API",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="data:,",
        )


def create_app(settings: Settings, holder=None, with_ui: bool = True):
    """The FastAPI app: the API routes (routes.py) and, with `with_ui`, the chat window mounted at /."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response

    from ..engine import EngineHolder
    from .routes import add_routes

    holder = holder or EngineHolder(settings)
    gate = Gate(settings.serve_workers, settings.serve_queue)
    app = FastAPI(
        title="ILO document assistant",
        version="1",
        description="Answers with paragraph citations from the ILO papers in the corpus. The chat window is at /.",
        docs_url=None,
    )
    add_offline_docs(app)

    def error(status: int, message: str, kind: str = "invalid_request_error", headers=None) -> Response:
        return Response(error_body(status, message, kind), status, headers, media_type="application/json")

    @app.exception_handler(Busy)
    async def busy(_: Request, e: Busy):
        return error(503, str(e), "server_busy", {"Retry-After": str(settings.serve_retry_after_s)})

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError):
        where = lambda x: ".".join(str(p) for p in x["loc"] if p != "body") or "the body"  # noqa: E731
        return error(422, "; ".join(f"{where(x)}: {x['msg']}" for x in e.errors()))

    add_routes(app, settings, holder, gate, error)
    app.state.holder, app.state.gate = holder, gate
    if with_ui and (ui := _ui_module()) is not None:
        import gradio as gr

        demo, i18n = ui.build_app(settings, holder)
        password = settings.ui_password.get_secret_value() if settings.ui_password else ""
        auth = (settings.ui_username, password) if settings.ui_username and password else None
        gr.mount_gradio_app(
            app,
            demo,
            path="/",
            auth=auth,
            i18n=i18n,
            css=ui.CSS,
            js=ui.JS,
            footer_links=[],
            show_error=False,
            max_file_size=int(settings.max_document_mb * 1e6),  # uploads in the Documents tab
        )
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    uploads = {"/v1/documents": int(settings.max_document_mb * 1e6)}
    app.add_middleware(ApiGuard, limit=settings.serve_max_body_kb * 1024, key=key, uploads=uploads)
    return app


def warm_up(holder) -> None:
    """Load what the first question would: the index's store, the embedder, the configured language model."""
    engine = holder.get()
    engine.index.open()
    engine.embedder.embed_query("warm-up")
    _ = engine.llm


def run(settings: Settings, host: str, port: int, with_ui: bool = True) -> int:
    """Serve until interrupted; refuses an exposed address without a key and a login (exit 2)."""
    if problem := exposure_problem(settings, host):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import uvicorn

    from ..engine import EngineHolder

    holder = EngineHolder(settings)
    warm_up(holder)
    app = create_app(settings, holder, with_ui)
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    print(f"serving on {where}: the chat window at /, the API under /v1 (OpenAPI at /docs)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
