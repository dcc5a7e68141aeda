"""Which stacks a tree holds, and for each: how to install its dependencies, what that makes, what it runs.

A stack is a package manager in one folder (the tree's root or a first-level folder with a project of its
own): uv, poetry, pdm or pip for Python, npm, pnpm, yarn or bun for Node, go and cargo. Detection only
reads files; nothing here runs a command.
"""

from __future__ import annotations

import json
import shlex
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

StackKind = Literal["uv", "poetry", "pdm", "pip", "npm", "pnpm", "yarn", "bun", "go", "cargo"]
Language = Literal["python", "node", "go", "rust"]

SKIP_DIRS = frozenset(
    {"node_modules", ".git", ".venv", "venv", "dist", "build", "__pycache__", ".orchestrator", "vendor"}
)
_MARKERS = (
    "package.json", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "go.mod", "Cargo.toml",
)  # fmt: skip
_LANGUAGE: dict[StackKind, Language] = {
    "uv": "python", "poetry": "python", "pdm": "python", "pip": "python",
    "npm": "node", "pnpm": "node", "yarn": "node", "bun": "node", "go": "go", "cargo": "rust",
}  # fmt: skip
_VENV = (".venv",)
_VENV_BIN = (".venv/bin",)


@dataclass(frozen=True)
class Stack:
    kind: StackKind
    dir: str
    """Its folder, relative to the tree ('.' for the root)."""
    tool: str
    """The program that installs (and, for Node, runs scripts): uv, poetry, npm, pnpm, python3, ..."""
    install: tuple[str, ...]
    """Shell commands that install what the committed lockfile says (run in `dir`)."""
    update: tuple[str, ...]
    """Shell commands for after a task changed the manifest: they may rewrite the lockfile."""
    inputs: tuple[str, ...]
    """Files (relative to `dir`) whose contents decide what gets installed: the cache key."""
    products: tuple[str, ...] = ()
    """What installing makes (relative to `dir`), cached and restored as a whole."""
    bins: tuple[str, ...] = ()
    """Folders (relative to `dir`) holding the installed tools, put first on PATH."""
    via_corepack: bool = False
    """The manager is named by `packageManager` and not installed itself: run it through corepack."""

    @property
    def language(self) -> Language:
        return _LANGUAGE[self.kind]

    def runner(self) -> list[str]:
        """argv prefix that runs the manager (`pnpm`, or `corepack pnpm`)."""
        return ["corepack", self.tool] if self.via_corepack else [self.tool]

    def script(self, name: str) -> list[str]:
        """argv that runs a package.json script with this stack's manager."""
        return [*self.runner(), "run", name]


def project_dirs(tree: Path) -> list[Path]:
    """The tree's root and its first-level folders that hold a project of their own."""
    dirs = [tree]
    for child in sorted(tree.iterdir()):
        wanted = child.is_dir() and child.name not in SKIP_DIRS and not child.name.startswith(".")
        if wanted and any((child / m).is_file() for m in (*_MARKERS, "Makefile", "pytest.ini")):
            dirs.append(child)
    return dirs


def detect_stacks(tree: Path) -> list[Stack]:
    """Every stack in the tree, root first; a folder inside a Node workspace is not a stack of its own."""
    tree = tree.resolve()
    out: list[Stack] = []
    for folder in project_dirs(tree):
        rel = "." if folder == tree else folder.relative_to(tree).as_posix()
        member = rel != "." and any(s.language == "node" for s in out) and not _node_lockfile(folder)
        for stack in (_python(folder, rel), None if member else _node(folder, rel), _compiled(folder, rel)):
            if stack is not None:
                out.append(stack)
    return out


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, OSError):
        return {}


def _python(folder: Path, rel: str) -> Stack | None:
    pyproject = _toml(folder / "pyproject.toml")
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    if (folder / "uv.lock").is_file():
        return Stack(
            "uv", rel, "uv", ("uv sync --frozen",), ("uv sync",), ("pyproject.toml", "uv.lock"),
            _VENV, _VENV_BIN,
        )  # fmt: skip
    if (folder / "poetry.lock").is_file() or "poetry" in (tool or {}):
        install = "poetry install --no-interaction"
        return Stack(
            "poetry", rel, "poetry", (install,), ("poetry lock --no-interaction", install),
            ("pyproject.toml", "poetry.lock"), _VENV, _VENV_BIN,
        )  # fmt: skip
    if (folder / "pdm.lock").is_file():
        return Stack(
            "pdm", rel, "pdm", ("pdm install --frozen-lockfile",), ("pdm install",),
            ("pyproject.toml", "pdm.lock"), _VENV, _VENV_BIN,
        )  # fmt: skip
    requirements = sorted(p.name for p in folder.glob("requirements*.txt") if p.is_file())
    if requirements:
        args = " ".join(f"-r {shlex.quote(r)}" for r in requirements)
        steps = (_MAKE_VENV, f".venv/bin/python -m pip install {args}")
        return Stack("pip", rel, "python3", steps, steps, tuple(requirements), _VENV, _VENV_BIN)
    project = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else None
    if project is None and not (folder / "setup.py").is_file():
        return None
    extras = sorted((project or {}).get("optional-dependencies") or {})
    if "build-system" in pyproject or (folder / "setup.py").is_file():
        target = "." + (f"[{','.join(extras)}]" if extras else "")
        steps = (_MAKE_VENV, f".venv/bin/python -m pip install -e {shlex.quote(target)}")
    else:  # a project that is not meant to be built: install what it lists
        wanted = _listed_requirements(project or {})
        if not wanted:
            return None
        steps = (_MAKE_VENV, f".venv/bin/python -m pip install {shlex.join(wanted)}")
    inputs = ("pyproject.toml", "setup.py", "setup.cfg")
    return Stack("pip", rel, "python3", steps, steps, inputs, _VENV, _VENV_BIN)


_MAKE_VENV = "python3 -m venv .venv"


def _listed_requirements(project: dict[str, Any]) -> list[str]:
    listed = [d for d in project.get("dependencies") or [] if isinstance(d, str)]
    for extra in (project.get("optional-dependencies") or {}).values():
        listed += [d for d in extra if isinstance(d, str)]
    return list(dict.fromkeys(listed))


def _node_lockfile(folder: Path) -> str | None:
    return next((n for n in _NODE_LOCKS if (folder / n).is_file()), None)


def package_json(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_NODE_TOOLS: dict[str, StackKind] = {"npm": "npm", "pnpm": "pnpm", "yarn": "yarn", "bun": "bun"}
_BY_LOCK: dict[str, StackKind] = {
    "pnpm-lock.yaml": "pnpm", "yarn.lock": "yarn", "bun.lock": "bun", "bun.lockb": "bun",
}  # fmt: skip
_NODE_LOCKS = (*_BY_LOCK, "package-lock.json", "npm-shrinkwrap.json")


def _node(folder: Path, rel: str) -> Stack | None:
    if not (folder / "package.json").is_file():
        return None
    pkg = package_json(folder)
    declared = str(pkg.get("packageManager") or "").split("@", 1)[0].strip()
    lock = _node_lockfile(folder)
    tool: StackKind = _NODE_TOOLS.get(declared) or _BY_LOCK.get(lock or "", "npm")
    corepack = bool(declared) and tool in ("pnpm", "yarn") and shutil.which(tool) is None
    corepack = corepack and shutil.which("corepack") is not None
    has_deps = any(pkg.get(k) for k in ("dependencies", "devDependencies", "optionalDependencies"))
    inputs = ("package.json", *(n for n in (lock, ".yarnrc.yml", "pnpm-workspace.yaml", ".npmrc") if n))
    run = f"corepack {tool}" if corepack else tool
    install, update = _node_commands(tool, run, lock, folder)
    if not has_deps:
        install = update = ()
    products: tuple[str, ...] = ("node_modules",)
    if tool == "yarn" and not _yarn_classic(folder, pkg):
        products += (".pnp.cjs", ".pnp.loader.mjs", ".yarn/install-state.gz", ".yarn/unplugged")
    return Stack(
        tool, rel, tool, install, update, inputs, products if has_deps else (), ("node_modules/.bin",),
        via_corepack=corepack,
    )  # fmt: skip


def _node_commands(
    tool: StackKind, run: str, lock: str | None, folder: Path
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if tool == "pnpm":
        frozen = "--frozen-lockfile" if lock else "--no-frozen-lockfile"
        return (f"{run} install {frozen}",), (f"{run} install --no-frozen-lockfile",)
    if tool == "yarn":
        classic = _yarn_classic(folder, package_json(folder))
        frozen = "--frozen-lockfile" if classic else "--immutable"
        return ((f"{run} install {frozen}",) if lock else (f"{run} install",)), (f"{run} install",)
    if tool == "bun":
        return ((f"{run} install --frozen-lockfile",) if lock else (f"{run} install",)), (f"{run} install",)
    return (("npm ci",) if lock else ("npm install",)), ("npm install",)


def _yarn_classic(folder: Path, pkg: dict[str, Any]) -> bool:
    declared = str(pkg.get("packageManager") or "")
    if declared.startswith("yarn@"):
        return declared.removeprefix("yarn@").startswith("1.")
    try:
        head = (folder / "yarn.lock").read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        return True
    return "__metadata:" not in head


def _compiled(folder: Path, rel: str) -> Stack | None:
    if (folder / "go.mod").is_file():
        return Stack("go", rel, "go", ("go mod download",), ("go mod download",), ("go.mod", "go.sum"))
    if (folder / "Cargo.toml").is_file():
        locked = " --locked" if (folder / "Cargo.lock").is_file() else ""
        inputs = ("Cargo.toml", "Cargo.lock")
        return Stack("cargo", rel, "cargo", (f"cargo fetch{locked}",), ("cargo fetch",), inputs)
    return None
