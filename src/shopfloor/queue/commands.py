"""Build and test commands a queue names: the `## Project Commands` table and a task's own command rows.

The seed's decomposition agent writes them for every task so the implementation agent can check its
work; here they also become checks the gate runs for that task. Placeholders it leaves behind
(`{PROJECT_BUILD_COMMAND}`, `echo "No build command configured"`, a trailing "(inferred from ...)")
are read for what they mean rather than run.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from shopfloor.queue.markdown import Document, norm_key
from shopfloor.queue.md_lines import heading_level
from shopfloor.queue.tables import is_separator, split_cells

CommandKind = Literal["build", "test"]
_PLACEHOLDER = re.compile(r"^\{[A-Za-z_ ]+\}$")
_NOT_CONFIGURED = re.compile(r"^echo\s+[\"']?no\b.*\bcommand\b.*configured", re.IGNORECASE)
_TRAILING_NOTE = re.compile(
    r"\s+\((?:inferred|detected|guessed|assumed|from|see|e\.g\.)[^()]*\)$", re.IGNORECASE
)
_NONE_WORDS = {"", "-", "—", "none", "n/a", "na", "tbd"}
_PROJECT_HEADING = "project commands"


class Commands(BaseModel):
    """A build command and a test command, either of which may be missing."""

    build: str | None = None
    test: str | None = None

    def get(self, kind: CommandKind) -> str | None:
        return self.build if kind == "build" else self.test


def clean_command(value: str) -> str | None:
    """The command a cell means: None for an empty or 'not configured' value; placeholders stay as they
    are (`is_placeholder`) so the task can take the project's command instead."""
    text = value.strip().strip("`").strip()
    text = _TRAILING_NOTE.sub("", text).strip()
    if text.lower() in _NONE_WORDS or _NOT_CONFIGURED.match(text):
        return None
    return text


def is_placeholder(command: str) -> bool:
    """`{PROJECT_TEST_COMMAND}`: the project's command of the same kind."""
    return bool(_PLACEHOLDER.match(command))


def project_commands(doc: Document) -> Commands:
    """The `## Project Commands` table (`| Build | ... |`, `| Test | ... |`) outside any task, if any."""
    found: dict[str, str | None] = {}
    inside = False
    for _, bare in doc.raw_lines():
        level = heading_level(bare)
        if level:
            inside = norm_key(bare.lstrip("#").strip().rstrip(":")) == _PROJECT_HEADING
            continue
        if not inside or not bare.lstrip().startswith("|") or is_separator(bare):
            continue
        cells = split_cells(bare)
        if cells is None or len(cells) < 2:
            continue
        name = norm_key(cells[0]).removesuffix(" command")
        if name in ("build", "test") and name not in found:
            found[name] = clean_command(cells[1])
    return Commands(build=found.get("build"), test=found.get("test"))
