"""MCP server definitions as Claude Code writes them: `.mcp.json`, `mcpServers` in settings, an agent's
`mcpServers`. `${VAR}` and `${VAR:-default}` are filled from the environment in the command, its
arguments, `env`, the URL and the headers, as Claude Code does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["McpServerConfig", "McpTransport", "parse_servers", "server_key"]

McpTransport = Literal["stdio", "http", "sse"]
McpScope = Literal["user", "project", "local", "agent"]
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class McpServerConfig:
    """One server: how to reach it, and where its definition came from."""

    name: str
    transport: McpTransport
    source: Path
    scope: McpScope
    command: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    missing: tuple[str, ...] = field(default=())
    """Environment variables the definition names that are not set (and have no default)."""

    @property
    def key(self) -> str:
        """The name as it appears in tool names: `mcp__<key>__<tool>`."""
        return server_key(self.name)

    @property
    def target(self) -> str:
        return " ".join([self.command, *self.args]) if self.transport == "stdio" else self.url

    def identity(self) -> dict[str, Any]:
        """What approving this server approves: everything that decides what runs or is reached."""
        return {
            "name": self.name,
            "transport": self.transport,
            "command": self.command,
            "args": list(self.args),
            "env": dict(self.env),
            "url": self.url,
            "headers": sorted(k for k, _ in self.headers),
        }


def server_key(name: str) -> str:
    return _UNSAFE.sub("_", name)


def parse_servers(
    value: object, source: Path, scope: McpScope, environ: Mapping[str, str] | None = None
) -> tuple[list[McpServerConfig], list[str]]:
    """The servers of one `mcpServers` object, and a problem line for each that cannot be used."""
    if value is None:
        return [], []
    if not isinstance(value, Mapping):
        return [], ["`mcpServers` must be an object of server names"]
    env = os.environ if environ is None else environ
    out: list[McpServerConfig] = []
    problems: list[str] = []
    for name, spec in value.items():
        server, problem = _server(str(name), spec, source, scope, env)
        if server is not None:
            out.append(server)
        if problem:
            problems.append(f"mcpServers.{name}: {problem}")
    return out, problems


def _server(
    name: str, spec: object, source: Path, scope: McpScope, environ: Mapping[str, str]
) -> tuple[McpServerConfig | None, str | None]:
    if not isinstance(spec, Mapping):
        return None, "must be an object with `command` (stdio) or `url` (http)"
    missing: list[str] = []

    def fill(text: object) -> str:
        return _expand(str(text), environ, missing)

    kind = str(spec.get("type") or ("stdio" if "command" in spec else "http"))
    if kind in ("streamable-http", "streamableHttp"):
        kind = "http"
    if kind == "stdio":
        command = spec.get("command")
        args = spec.get("args") or []
        if not isinstance(command, str) or not command.strip():
            return None, "a stdio server needs a `command`"
        if not isinstance(args, list):
            return None, "`args` must be a list"
        return (
            McpServerConfig(
                name=name,
                transport="stdio",
                source=source,
                scope=scope,
                command=fill(command),
                args=tuple(fill(a) for a in args),
                env=_pairs(spec.get("env"), fill),
                missing=tuple(dict.fromkeys(missing)),
            ),
            None,
        )
    if kind in ("http", "sse"):
        url = spec.get("url")
        if not isinstance(url, str) or not url.strip():
            return None, f"an {kind} server needs a `url`"
        transport: McpTransport = "http" if kind == "http" else "sse"
        return (
            McpServerConfig(
                name=name,
                transport=transport,
                source=source,
                scope=scope,
                url=fill(url),
                headers=_pairs(spec.get("headers"), fill),
                missing=tuple(dict.fromkeys(missing)),
            ),
            None,
        )
    return None, f"unknown server type `{kind}` (use stdio or http)"


def _pairs(value: object, fill: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        return ()
    return tuple((str(k), fill(v)) for k, v in value.items())


def _expand(text: str, environ: Mapping[str, str], missing: list[str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    return _VAR.sub(one, text)
