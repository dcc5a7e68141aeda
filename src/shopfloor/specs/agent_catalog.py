"""The agents visible from a project: files found in the project's, the user's and the built-in folders,
broken ones kept as problems, one agent per name by precedence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from shopfloor.specs.agent_file import parse_agent_bytes
from shopfloor.specs.agents import AgentSpec
from shopfloor.specs.sources import Layered, Loaded, Origin, load_guarded, search_roots

__all__ = ["AgentCatalog", "discover_agents"]


class AgentCatalog(Layered[AgentSpec]):
    """Every agent found, by name, after precedence (project > user > built-in)."""


def discover_agents(workdir: Path, *, home: Path | None = None) -> AgentCatalog:
    """All agents visible from `workdir`. Broken files become problems; they never raise."""
    roots = search_roots(workdir, home, "agents")
    return AgentCatalog(item for root, origin in roots for item in _load(root, origin))


def _agent_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root)
        if any(p.startswith(".") for p in rel.parts) or path.name.lower() == "readme.md":
            continue
        if path.is_file():
            yield path


def _load(root: Path, origin: Origin) -> Iterator[Loaded[AgentSpec]]:
    for path in _agent_files(root):
        yield load_guarded(path, lambda data, p: parse_agent_bytes(data, p, origin), _claimed_name, root)


def _claimed_name(data: bytes, path: Path) -> str:
    """The name a file that failed to parse was meant to define: its `name:` line, else its stem."""
    match = re.search(rb"^name:[ \t]*['\"]?([^'\"\r\n#]+?)['\"]?[ \t]*$", data, re.MULTILINE)
    return match.group(1).decode(errors="replace").strip() if match else path.stem
