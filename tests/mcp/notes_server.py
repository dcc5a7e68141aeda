"""A small MCP server over stdio, written with the `mcp` SDK: the real thing the tests connect to.

`python notes_server.py [--die-after N] [--started FILE] [--http PORT_FILE]`: tools `add_note`,
`list_notes` and `shout`; with `--die-after N` the process exits on the N-th call, as a crashing
server would; with `--started FILE` it adds a line to FILE as it starts. With
`--http PORT_FILE` it serves streamable HTTP at `/mcp` on a free loopback port, written to PORT_FILE
once it listens, and offers `whoami` (the request's Authorization header) as well.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("notes")
notes: list[str] = []
calls = 0
die_after = int(sys.argv[sys.argv.index("--die-after") + 1]) if "--die-after" in sys.argv else 0


def _count() -> None:
    global calls
    calls += 1
    if die_after and calls >= die_after:
        os._exit(3)


@server.tool()
def add_note(text: str) -> str:
    """Keep a note for later."""
    _count()
    notes.append(text)
    return f"noted ({len(notes)} notes)"


@server.tool()
def list_notes() -> str:
    """Every note kept so far, one a line."""
    _count()
    return "\n".join(notes) or "no notes"


@server.tool()
def shout(text: str) -> str:
    """The text in capitals, with the value of NOTES_SUFFIX after it."""
    _count()
    return text.upper() + os.environ.get("NOTES_SUFFIX", "")


def whoami(ctx: Context) -> str:
    """The Authorization header the client sent."""
    return (ctx.headers or {}).get("authorization", "no authorization header")


async def serve_http(port_file: Path) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    app = server.streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app, log_level="warning")
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(sock.getsockname()[1]))
    tmp.replace(port_file)  # the port is bound: connections wait in the backlog until uvicorn serves
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    if "--started" in sys.argv:
        with open(sys.argv[sys.argv.index("--started") + 1], "a", encoding="utf-8") as started:
            started.write(f"{os.getpid()}\n")
    if "--http" in sys.argv:
        server.tool()(whoami)
        anyio.run(serve_http, Path(sys.argv[sys.argv.index("--http") + 1]))
    else:
        server.run("stdio")
