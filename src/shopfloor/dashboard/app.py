"""The dashboard's web app: one page, a JSON API over the run state, and a live event stream.

Every route needs the access token, as `?token=`, `Authorization: Bearer`, or the cookie the page sets
when it is opened with the token (so the page can take the token out of the address bar and still
reload). The page inlines its script and stylesheet under a per-response CSP nonce, so a single
authenticated request paints it and nothing is fetched from anywhere else.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import threading
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel

from shopfloor.dashboard.data import DashboardData
from shopfloor.dashboard.live import OpenStreams, event_stream, start_id

if TYPE_CHECKING:
    from collections.abc import Callable

_NONCE = "__NONCE__"
_NO_STORE = {"Cache-Control": "no-store"}


def _static(name: str) -> str:
    return files("shopfloor.dashboard").joinpath("static", name).read_text(encoding="utf-8")


_SCRIPTS = (
    "util.js",
    "charts.js",
    "blocks.js",
    "transcript.js",
    "task.js",
    "timeline.js",
    "runs.js",
    "agents.js",
    "run.js",
    "app.js",
)


@cache
def page_template() -> str:
    """index.html with scripts and stylesheet inlined; `__NONCE__` marks where each response's nonce goes."""
    html = _static("index.html")
    tags = {'<link rel="stylesheet" href="style.css">': ("style", "style.css")}
    tags.update({f'<script src="{name}"></script>': ("script", name) for name in _SCRIPTS})
    for tag, (element, name) in tags.items():
        text = _static(name)
        # An asset may not close its own inline element early.
        if tag not in html or f"</{element}" in text.lower():
            raise RuntimeError(f"dashboard asset {name} cannot be inlined into index.html")
        html = html.replace(tag, f'<{element} nonce="{_NONCE}">\n{text}</{element}>')
    return html


def _csp(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def cookie_name(token: str) -> str:
    """Named after the token, so two dashboards on one host (different ports) keep their own."""
    return "shopfloor-" + hashlib.sha256(token.encode()).hexdigest()[:12]


def _token_guard(token: str) -> Callable[[Request], None]:
    expected = token.encode()
    cookie = cookie_name(token)

    def require_token(request: Request) -> None:
        given = request.query_params.get("token")
        if given is None:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                given = value.strip()
        if given is None:
            given = request.cookies.get(cookie)
        if given is None:
            raise HTTPException(
                status_code=401,
                detail="this dashboard needs its access token: open the URL shopfloor printed",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not secrets.compare_digest(given.encode(), expected):
            raise HTTPException(status_code=403, detail="wrong access token")

    return require_token


_REFUSED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shopfloor dashboard: access token needed</title></head>
<body><main><h1>shopfloor dashboard</h1><p>{message}.</p>
<p>Open the address shopfloor printed when it started the dashboard (it ends in <code>?token=</code>
followed by the token), or start it again with <code>shopfloor dashboard</code>.</p></main></body></html>
"""


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", headers=_NO_STORE)


def create_app(
    project: Path,
    token: str,
    *,
    home: Path | None = None,
    poll_s: float = 0.25,
    keepalive_s: float = 15.0,
) -> FastAPI:
    """The dashboard app for `project`; `home` is where user-level agents and skills are looked up."""
    if not token:
        raise ValueError("the dashboard needs a non-empty access token")
    data = DashboardData(project, home=home)
    closing = threading.Event()
    streams = OpenStreams()
    app = FastAPI(
        title="shopfloor dashboard",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(_token_guard(token))],
    )
    # The server sets `closing` so open event streams end and shutdown does not wait on them.
    app.state.data = data
    app.state.closing = closing
    app.state.streams = streams

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> Response:
        # A person opening the page without its token reads a page, not JSON.
        if request.url.path == "/" and exc.status_code in (401, 403):
            said = html.escape(str(exc.detail))
            message = said[:1].upper() + said[1:]
            headers = {**_NO_STORE, "Content-Security-Policy": "default-src 'none'", **(exc.headers or {})}
            return HTMLResponse(_REFUSED_PAGE.format(message=message), exc.status_code, headers=headers)
        return await http_exception_handler(request, exc)

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        headers = {
            **_NO_STORE,
            "Content-Security-Policy": _csp(nonce),
            # The token is in the page's URL: never hand it to another site.
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        }
        response = HTMLResponse(page_template().replace(_NONCE, nonce), headers=headers)
        if request.query_params.get("token") is not None:
            # Reached only with the right token; the cookie lets the page drop it from the address bar.
            response.set_cookie(cookie_name(token), token, httponly=True, samesite="strict", path="/")
        return response

    @app.get("/api/run")
    def run(run_id: int | None = None) -> Response:
        return _json(data.run_view(run_id))

    @app.get("/api/runs")
    def runs() -> Response:
        return _json(data.runs())

    @app.get("/api/timeline")
    def timeline(run_id: int | None = None) -> Response:
        return _json(data.timeline(run_id))

    @app.get("/api/series")
    def series(run_id: int | None = None) -> Response:
        return _json(data.series(run_id))

    @app.get("/api/tasks/{task_id}")
    def task(task_id: str, run_id: int | None = None, missing_ok: bool = False) -> Response:
        detail = data.task(task_id, run_id)
        if detail is None and missing_ok:
            # A page waiting for a task the queue does not have yet asks this way: not an error to log.
            return Response("null", media_type="application/json", headers=_NO_STORE)
        if detail is None:
            raise HTTPException(status_code=404, detail=f"no task {task_id} in the run or the task queue")
        return _json(detail)

    @app.get("/api/agents")
    def agents() -> Response:
        return _json(data.agents())

    @app.get("/api/events")
    async def events(request: Request, after: int | None = None) -> StreamingResponse:
        start = start_id(request.headers.get("last-event-id"), after)
        if start is None:
            start = await anyio.to_thread.run_sync(data.reader.max_event_id)
        stream = event_stream(
            data.reader, start, closing, poll_s=poll_s, keepalive_s=keepalive_s, streams=streams
        )
        return StreamingResponse(
            stream, media_type="text/event-stream", headers={**_NO_STORE, "X-Accel-Buffering": "no"}
        )

    return app
