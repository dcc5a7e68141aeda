"""The backend security checklist over a tree or a diff: project facts first, then each file's rules."""

from __future__ import annotations

import ast
import asyncio
import os
from pathlib import Path

from shopfloor.gate.findings import Finding, ScanScope, dedupe, soften_for_tests
from shopfloor.gate.security.bandit_scan import scan_bandit
from shopfloor.gate.security.js_checks import check_js_source
from shopfloor.gate.security.js_routes import collect_js_facts
from shopfloor.gate.security.js_tokens import tokenize
from shopfloor.gate.security.project import ProjectFacts
from shopfloor.gate.security.python_checks import check_python_source
from shopfloor.gate.security.python_route_checks import check_python_routes
from shopfloor.gate.security.python_routes import collect_python_facts
from shopfloor.gate.security.secrets import scan_secrets, wants_secret_scan

JS_SUFFIXES = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
_SKIP_DIRS = {
    "node_modules", ".git", ".venv", "venv", "__pycache__", "dist", "build", ".tox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".orchestrator", ".next", "coverage", "vendor", ".nox", ".eggs",
}  # fmt: skip
_MAX_BYTES = 512 * 1024


def source_files(root: Path) -> list[str]:
    """Relative paths of the files the checklist reads, skipping dependencies, caches and build output."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not (Path(dirpath) / d / "pyvenv.cfg").exists()
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if name.endswith(".min.js") or not (
                rel.endswith((".py", *JS_SUFFIXES)) or wants_secret_scan(rel)
            ):
                continue
            try:
                if path.is_file() and path.stat().st_size <= _MAX_BYTES:
                    out.append(rel)
            except OSError:
                continue
    return out


async def run_checklist(
    root: Path,
    *,
    scope: ScanScope | None = None,
    use_bandit: bool = True,
    use_detect_secrets: bool = True,
) -> list[Finding]:
    """Findings for the files in `scope` (or the whole tree), judged against the whole project."""
    root = root.resolve()
    scope = scope or ScanScope()
    everything = await asyncio.to_thread(source_files, root)
    targets = (
        [f for f in scope.files if (root / f).is_file()] if scope.changed_lines is not None else everything
    )
    findings = await asyncio.to_thread(_own_rules, root, everything, targets)
    if use_detect_secrets:
        findings += await asyncio.to_thread(scan_secrets, root, [f for f in targets if wants_secret_scan(f)])
    if use_bandit:
        findings += await scan_bandit(root, [f for f in targets if f.endswith(".py")])
    kept = [soften_for_tests(f) for f in findings if scope.keeps(f)]
    return dedupe(kept)


def _own_rules(root: Path, everything: list[str], targets: list[str]) -> list[Finding]:
    facts = ProjectFacts()
    py_trees: dict[str, tuple[ast.Module, str]] = {}
    js_sources: dict[str, str] = {}
    for rel in everything:
        text = _read(root / rel)
        if text is None:
            continue
        if rel.endswith(".py"):
            try:
                tree = ast.parse(text, filename=rel)
            except (SyntaxError, ValueError):
                continue
            py_trees[rel] = (tree, text)
            collect_python_facts(tree, rel, facts)
        elif rel.endswith(JS_SUFFIXES):
            js_sources[rel] = text
            collect_js_facts(tokenize(text), rel, facts)
    out: list[Finding] = []
    for rel in targets:
        if rel in py_trees:
            tree, text = py_trees[rel]
            out += check_python_source(rel, tree)
            out += check_python_routes(rel, tree, text, facts)
        elif rel in js_sources:
            out += check_js_source(rel, js_sources[rel], facts)
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
