"""The Python packages a project declares (pyproject's lists, Poetry's tables, requirements files), by
name, so a missing one is recognised as an install that never happened rather than a mistake in the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def python_requirements(folder: Path) -> set[str]:
    names: set[str] = set()
    try:
        data: dict[str, Any] = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        data = {}
    project: dict[str, Any] = data["project"] if isinstance(data.get("project"), dict) else {}
    listed: list[Any] = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        listed += list(group or [])
    for group in (data.get("dependency-groups") or {}).values():
        listed += [d for d in group or [] if isinstance(d, str)]
    poetry = (data.get("tool") or {}).get("poetry") or {}
    for table in (poetry.get("dependencies"), *((poetry.get("group") or {}).values())):
        deps = table.get("dependencies") if isinstance(table, dict) and "dependencies" in table else table
        if isinstance(deps, dict):
            names |= {n for n in deps if n.lower() != "python"}
    for path in folder.glob("requirements*.txt"):
        listed += path.read_text(encoding="utf-8", errors="replace").splitlines()
    for entry in listed:
        if isinstance(entry, str) and not entry.lstrip().startswith(("-", "#")):
            match = _NAME.match(entry)
            if match:
                names.add(match.group(1))
    return names
