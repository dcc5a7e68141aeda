"""Which code node's tests ran, from V8's own coverage (`NODE_V8_COVERAGE`): a JS mutant on code that
no test runs cannot be killed, so it need not be run."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

from shopfloor.gate.testproof.mutants import Mutant

COVERAGE_VAR = "NODE_V8_COVERAGE"

Ranges = list[tuple[int, int, int]]
"""(start, end, count) in UTF-16 offsets of the file's text, as V8 counts them, from one process."""


def read_coverage(folder: Path, copy: Path, files: set[str]) -> dict[str, list[Ranges]] | None:
    """Per watched file (relative to `copy`), the ranges each process that loaded it reported; None
    when V8 wrote nothing usable."""
    roots = {str(copy), str(copy.resolve())}
    out: dict[str, list[Ranges]] = {}
    for report in sorted(folder.glob("*.json")):
        try:
            scripts = json.loads(report.read_text(encoding="utf-8")).get("result", [])
        except (OSError, ValueError):
            continue
        for script in scripts:
            url = urlparse(str(script.get("url", "")))
            if url.scheme != "file":
                continue
            path = unquote(url.path)
            root = next((r for r in roots if path.startswith(r + "/")), None)
            rel = path[len(root) + 1 :] if root is not None else ""
            if rel in files:
                out.setdefault(rel, []).append(
                    [
                        (int(r["startOffset"]), int(r["endOffset"]), int(r["count"]))
                        for fn in script.get("functions", [])
                        for r in fn.get("ranges", [])
                    ]
                )
    return out or None


def reached(mutant: Mutant, source: str, coverage: dict[str, list[Ranges]]) -> bool:
    """Whether, in some process, the innermost range around the mutated text ran at least once."""
    start, end = _utf16(source, mutant.edit.start), _utf16(source, mutant.edit.end)
    for spans in coverage.get(mutant.file, []):
        around = [r for r in spans if r[0] <= start and end <= r[1]]
        if around and min(around, key=lambda r: r[1] - r[0])[2] > 0:
            return True
    return False


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2
