"""Which files the checklist reads: the project's own source and config, never dependencies, vendored
libraries, minified bundles or build output (their constants are not the project's secrets)."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from shopfloor.gate.testfiles import JS_SUFFIXES

SKIP_DIRS = {
    "node_modules", ".git", ".venv", "venv", "__pycache__", "dist", "build", ".tox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".orchestrator", ".next", ".nuxt", "coverage", "vendor", "vendors",
    ".nox", ".eggs", "bower_components", "jspm_packages", "third_party", "site-packages", "htmlcov",
    ".svelte-kit", ".output", ".parcel-cache", ".turbo", ".cache", "_build",
}  # fmt: skip
_ASSET_DIRS = {"static", "public", "assets", "www", "wwwroot", "media"}
_BUILT_NAME = re.compile(
    r"\.(min|bundle|chunk|umd|prod|production)\.[cm]?js$|[-.][0-9a-f]{8,}\.js$|-bundle\.js$"
)
_LIBRARY_BANNER = re.compile(
    r"@license|\(c\)\s*\d{4}|copyright\s+(\(c\)\s*)?\d{4}|licensed under|released under the|"
    r"/\*!\s*[\w.@/ -]+\s+v?\d+\.\d+",
    re.IGNORECASE,
)
_MAX_BYTES = 512 * 1024
_LONG_LINE = 1000

CODE_SUFFIXES = (".py", *JS_SUFFIXES)
CONFIG_SUFFIXES = {".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf"}
CONFIG_NAMES = {
    ".env", ".env.local", ".env.production", ".env.development", "docker-compose.yml", "nginx.conf",
    "Caddyfile", "package.json", "requirements.txt", "Pipfile", "pyproject.toml", "setup.cfg", "setup.py",
}  # fmt: skip


def wanted(rel: str) -> bool:
    """Source files and the config files that can hold secrets or say how the app is deployed."""
    p = PurePosixPath(rel)
    if p.suffix in CODE_SUFFIXES:
        return True
    if p.name in CONFIG_NAMES or p.name.startswith((".env", "docker-compose", "requirements")):
        return True
    return p.suffix in CONFIG_SUFFIXES


def source_files(root: Path) -> list[str]:
    """Relative paths of the files the checklist reads, skipping dependencies, caches and build output."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if not wanted(rel) or _BUILT_NAME.search(name):
                continue
            try:
                if path.is_file() and path.stat().st_size <= _MAX_BYTES:
                    out.append(rel)
            except OSError:
                continue
    return out


def is_generated(rel: str, text: str) -> bool:
    """A vendored library or build output that sits among the sources (static/js/jquery.js, say).

    JS under an asset folder that starts with a library banner, and any JS with very long lines
    (minified, bundled), is not the project's code.
    """
    if not rel.endswith(JS_SUFFIXES):
        return False
    head = text[:2000]
    lines = text.splitlines() or [""]
    if any(len(row) > _LONG_LINE for row in lines[:200]) and sum(map(len, lines)) / len(lines) > 200:
        return True
    in_assets = bool(_ASSET_DIRS & set(PurePosixPath(rel).parts[:-1]))
    return in_assets and (bool(_LIBRARY_BANNER.search(head)) or len(text) > 150_000)
