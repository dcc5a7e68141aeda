"""An HTTP proxy on loopback that refuses everything and remembers what was asked of it: with the package
managers pointed at it, any fetch they try shows up in `requests`."""

from __future__ import annotations

import http.server
import threading
from types import TracebackType


class _Handler(http.server.BaseHTTPRequestHandler):
    def _refuse(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        self.send_error(403, "no network after setup")

    do_CONNECT = do_GET = do_POST = do_HEAD = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


class RefusingProxy:
    def __init__(self) -> None:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.requests = []  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return list(self._server.requests)  # type: ignore[attr-defined]

    def env(self) -> dict[str, str]:
        url = f"http://127.0.0.1:{self._server.server_address[1]}"
        names = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
        return {**dict.fromkeys(names, url), "NO_PROXY": "", "no_proxy": ""}

    def __enter__(self) -> RefusingProxy:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
