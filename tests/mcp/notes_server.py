"""A small MCP server over stdio, written with the `mcp` SDK: the real thing the tests connect to.

`python notes_server.py [--die-after N]`: tools `add_note`, `list_notes` and `shout`; with
`--die-after N` the process exits on the N-th call, as a crashing server would.
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

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


if __name__ == "__main__":
    server.run("stdio")
