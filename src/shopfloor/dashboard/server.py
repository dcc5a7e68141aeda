"""Serving the dashboard with uvicorn on a background thread, bound to loopback unless asked otherwise."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
from pathlib import Path

import uvicorn

from shopfloor.dashboard.app import create_app
from shopfloor.dashboard.data import DashboardData
from shopfloor.dashboard.live import OpenStreams

_START_TIMEOUT_S = 15.0
# After its stream ends, a page fetches the run once more: give that a moment before closing the door.
_LAST_LOOK_S = 1.0


class DashboardError(Exception):
    """The dashboard cannot be served as asked; the message says why and what to do."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # each keep-alive response waits out the peer's delayed ACK (about 40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise DashboardError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return sock


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class DashboardServer:
    """A running dashboard. `url` carries the token; `stop()` ends open streams and the server."""

    def __init__(
        self,
        project: Path,
        host: str,
        sock: socket.socket,
        token: str,
        server: uvicorn.Server,
        data: DashboardData,
        closing: threading.Event,
        streams: OpenStreams,
    ) -> None:
        self.project = project
        self.host = host
        self.port: int = sock.getsockname()[1]
        self.token = token
        self.url = f"http://{_url_host(host)}:{self.port}/?token={token}"
        self._sock = sock
        self._server = server
        self._data = data
        self._closing = closing
        self._streams = streams
        self._thread = threading.Thread(target=self._serve, name="shopfloor-dashboard", daemon=True)
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """The address without the token, for API clients that send it as a header."""
        return f"http://{_url_host(self.host)}:{self.port}"

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as err:  # reported by start(); a thread has nowhere else to raise
            self._error = err

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise DashboardError(f"the dashboard server did not start: {self._error or 'timed out'}")
            time.sleep(0.01)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving. Open pages first get every event recorded so far and an `end` message."""
        self._closing.set()
        watched = self._streams.count > 0 and self._thread.is_alive()
        deadline = time.monotonic() + min(timeout_s, 5.0)
        while self._streams.count > 0 and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if watched:
            time.sleep(_LAST_LOOK_S)
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._sock.close()
        self._data.close()

    def wait(self) -> None:
        """Block until the server stops; Ctrl-C still reaches the caller (it joins in short steps)."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> DashboardServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_dashboard(
    project: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    allow_remote: bool = False,
    home: Path | None = None,
) -> DashboardServer:
    """Start the dashboard for `project` in the background and return once it answers; port 0 picks one."""
    if not is_loopback(host) and not allow_remote:
        raise DashboardError(
            f"refusing to serve the dashboard on {host or 'every address'}: it shows the project's code, "
            "prompts and costs to anyone who can reach it. Use 127.0.0.1, or allow a remote address "
            "explicitly (allow_remote=True, --allow-remote) if that is what you want."
        )
    if host.lower() == "localhost":
        host = "127.0.0.1"  # one address, not whichever of 127.0.0.1 and ::1 resolves first
    token = token or secrets.token_urlsafe(24)
    app = create_app(project, token, home=home)
    sock = _bind(host, port)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
        ws="none",
    )
    server = DashboardServer(
        project.resolve(),
        host,
        sock,
        token,
        uvicorn.Server(config),
        app.state.data,
        app.state.closing,
        app.state.streams,
    )
    server.start()
    return server
