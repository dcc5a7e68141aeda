"""shopfloor's side of a service port inside the sandbox: the run's services (`[env] services`) listen on
the host's loopback, and a confined command has no network, only its own loopback.

`PortBridge` opens a socket pair; the command's end goes into the sandbox, where `port_relay` listens on
the services' ports and asks over it for each connection. The bridge answers with a socket connected to
the host's port (descriptor passing: a socket made outside stays in the host's network) for those ports
only. It serves from a thread until every copy of the command's end is closed, that is until the command
and whatever it left running have ended.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

_CONNECT_TIMEOUT_S = 5.0


@functools.cache
def _relay_source() -> str:
    return (Path(__file__).parent / "port_relay.py").read_text(encoding="utf-8")


class PortBridge:
    """Connections to the host's loopback `ports`, handed to the relay inside the sandbox."""

    def __init__(self, ports: Sequence[int]) -> None:
        self.ports = tuple(sorted(set(ports)))
        ours, theirs = socket.socketpair()
        self._ours = ours
        self.child_fd = theirs.detach()
        """The command's end (passed to it; the caller closes its own copy once the command started)."""
        threading.Thread(target=self._serve, name="port-bridge", daemon=True).start()

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """`argv` behind the relay, which listens on the ports inside and then runs it."""
        ports = ",".join(str(p) for p in self.ports)
        return [sys.executable, "-I", "-S", "-c", _relay_source(), str(self.child_fd), ports, "--", *argv]

    def _serve(self) -> None:
        with self._ours:
            while (asked := self._read_port()) is not None:
                try:
                    upstream = self._connect(asked)
                except OSError:
                    with contextlib.suppress(OSError):
                        self._ours.sendall(b"\0")  # no descriptor: the relay drops the connection
                    continue
                with upstream, contextlib.suppress(OSError):
                    socket.send_fds(self._ours, [b"\1"], [upstream.fileno()])

    def _read_port(self) -> int | None:
        data = b""
        while len(data) < 2:
            try:
                more = self._ours.recv(2 - len(data))
            except OSError:
                return None
            if not more:  # the command and everything it started are gone
                return None
            data += more
        return int.from_bytes(data, "big")

    def _connect(self, port: int) -> socket.socket:
        if port not in self.ports:
            raise ConnectionRefusedError(port)
        upstream = socket.create_connection(("127.0.0.1", port), timeout=_CONNECT_TIMEOUT_S)
        upstream.settimeout(None)
        return upstream
