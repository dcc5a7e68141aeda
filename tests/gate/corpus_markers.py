"""The planted vulnerabilities of the corpus apps (tests/gate/corpus/<app>/vuln), read from their markers.

A planted vulnerability is marked on the line where the checklist should report it:
`VULN: rule-id` (expected at high) or `VULN(medium): rule-id`, with an optional note after it.
Each app also has a clean twin (`clean/`) with the same code, fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
APPS = sorted(p.name for p in CORPUS.iterdir() if (p / "vuln").is_dir())
_MARKER = re.compile(r"VULN(?:\((high|medium|low)\))?: ([\w-]+)")
_SUFFIXES = {".py", ".js", ".ts", ".mjs", ".cjs"}


@dataclass(frozen=True)
class Planted:
    file: str
    line: int
    rule: str
    severity: str


def planted(root: Path) -> list[Planted]:
    """Every marker under `root`, in file and line order."""
    out = []
    for path in sorted(root.rglob("*")):
        if not (path.is_file() and path.suffix in _SUFFIXES):
            continue
        for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for severity, rule in _MARKER.findall(row):
                out.append(Planted(path.relative_to(root).as_posix(), n, rule, severity or "high"))
    return out


def reported(p: Planted, file: str, line: int, end_line: int | None, rule: str) -> bool:
    """A finding of the planted rule whose span holds the marked line."""
    return file == p.file and rule == p.rule and line <= p.line <= (end_line or line)
