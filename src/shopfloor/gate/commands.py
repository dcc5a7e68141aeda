"""Reading a command line the way a person reads CI: is it a build, lint, type or test check, does it
rewrite files (a fixer), and how does it run in check mode instead."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from shopfloor.gate.report import CheckKind

OPERATORS = frozenset({"&&", "||", ";", "|", "&"})
"""Shell operators between simple commands, as `split_segments` gives them."""
_WRAPPERS = (
    ("uv", "run"), ("poetry", "run"), ("pdm", "run"), ("pnpm", "exec"), ("yarn", "exec"), ("hatch", "run"),
    ("bunx",), ("npx",), ("pnpx",), ("python", "-m"), ("python3", "-m"), ("coverage", "run", "-m"),
)  # fmt: skip
_TEST_TOOLS = frozenset(
    {"pytest", "py.test", "unittest", "jest", "vitest", "mocha", "ava", "tap", "tox", "nox", "playwright"}
)
_LINT_TOOLS = frozenset({"flake8", "pylint", "eslint", "stylelint", "golangci-lint", "biome", "prettier"})
_LINT_TOOLS |= {"black", "isort", "ruff", "shellcheck", "oxlint"}
_TYPE_TOOLS = frozenset({"mypy", "pyright", "tsc", "vue-tsc", "basedpyright"})
_SCRIPT_KINDS: list[tuple[re.Pattern[str], CheckKind]] = [
    (re.compile(r"^(test|tests|unit|e2e|ci)([:_-].*)?$"), "test"),
    (re.compile(r"^(lint|check|format:check|fmt:check)([:_-].*)?$"), "lint"),
    (re.compile(r"^(typecheck|type-check|types|tsc|check-types)([:_-].*)?$"), "typecheck"),
    (re.compile(r"^build$"), "build"),
]
_NODE_MANAGERS = frozenset({"npm", "pnpm", "yarn", "bun"})
TARGET_KINDS: dict[str, CheckKind] = {
    "build": "build", "lint": "lint", "typecheck": "typecheck", "test": "test", "check": "test",
}  # fmt: skip
"""Makefile targets and just recipes the gate runs, by name."""


def script_kind(name: str) -> CheckKind | None:
    """The kind of a package.json script, Makefile target or just recipe, from its name."""
    for pattern, kind in _SCRIPT_KINDS:
        if pattern.match(name):
            return kind
    return None


def words_of(segment: list[str]) -> list[str]:
    """A simple command's words past leading `VAR=value` assignments and runner wrappers (`uv run`)."""
    words = list(segment)
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        words = words[1:]
    changed = True
    while changed:
        changed = False
        for wrapper in _WRAPPERS:
            if len(words) > len(wrapper) and tuple(words[: len(wrapper)]) == wrapper:
                words = words[len(wrapper) :]
                changed = True
    if words and "/" in words[0]:
        words = [words[0].rsplit("/", 1)[1], *words[1:]]
    return words


def command_kind(words: list[str]) -> CheckKind | None:
    """The kind of check one simple command is, or None when it is not a check (install, deploy, echo)."""
    w = words_of(words)
    if not w:
        return None
    tool, rest = w[0], w[1:]
    sub = rest[0] if rest else ""
    if tool in _NODE_MANAGERS:
        if sub == "test" or (tool == "bun" and sub == "test"):
            return "test"
        if sub == "run" and len(rest) > 1:
            return script_kind(rest[1])
        return script_kind(sub) if tool != "npm" and sub not in ("install", "add", "ci") else None
    if tool in ("make", "just"):
        targets = [t for t in rest if not t.startswith("-") and "=" not in t]
        kinds = [TARGET_KINDS.get(t) or script_kind(t) for t in targets]
        return next((k for k in kinds if k), None)
    if tool == "go":
        return {"test": "test", "vet": "lint", "build": "build"}.get(sub)  # type: ignore[return-value]
    if tool == "cargo":
        table: dict[str, CheckKind] = {"test": "test", "clippy": "lint", "fmt": "lint", "build": "build"}
        return table.get(sub)
    if tool == "node" and "--test" in rest:
        return "test"
    if tool in _TEST_TOOLS:
        return "test"
    if tool in _TYPE_TOOLS:
        return "typecheck"
    if tool in _LINT_TOOLS:
        return "lint"
    return None


@dataclass(frozen=True)
class CheckMode:
    command: str | None
    """The command to run: as given, rewritten to check mode, or None when it must be skipped."""
    note: str | None = None
    """What was changed or why it was skipped, for the report."""


def split_segments(command: str) -> list[list[str]] | None:
    """A command line as simple commands and the operators between them; None when it is too complex to
    rewrite safely (substitutions, here-documents, unbalanced quotes)."""
    if any(token in command for token in ("$(", "`", "<<")):
        return None
    lexer = shlex.shlex(command, posix=True, punctuation_chars="&|;")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return None
    out: list[list[str]] = [[]]
    for tok in tokens:
        if tok in OPERATORS:
            out += [[tok], []]
        else:
            out[-1].append(tok)
    return out


def check_mode(command: str) -> CheckMode:
    """`command` as a check that changes nothing: fixers' write flags turned into their check flags."""
    segments = split_segments(command)
    if segments is None:
        if _looks_like_fixer(command):
            return CheckMode(None, f"skipped `{command}`: it may rewrite files and is too complex to rewrite")
        return CheckMode(command)
    rewritten: list[list[str]] = []
    changed = False
    for seg in segments:
        if len(seg) == 1 and seg[0] in OPERATORS:
            rewritten.append(seg)
            continue
        new = _segment_check_mode(seg)
        if new is None:
            shown = shlex.join(seg)
            return CheckMode(None, f"skipped `{command}`: `{shown}` rewrites files and has no check mode")
        changed |= new != seg
        rewritten.append(new)
    if not changed:
        return CheckMode(command)
    out = " ".join(seg[0] if len(seg) == 1 and seg[0] in OPERATORS else shlex.join(seg) for seg in rewritten)
    return CheckMode(out, f"`{command}` rewrites files: ran `{out}` instead")


def _looks_like_fixer(command: str) -> bool:
    return bool(
        re.search(
            r"(--fix\b|--write\b|--apply\b|\bblack\b|\bisort\b|ruff format|gofmt -w|cargo fmt)", command
        )
    )


def _segment_check_mode(seg: list[str]) -> list[str] | None:
    """One simple command in check mode: the same list when it writes nothing, None when it cannot be."""
    words = words_of(seg)
    if not words:
        return seg
    head = len(seg) - len(words)
    tool, args = words[0], words[1:]
    sub = args[0] if args else ""
    drop: set[str] = set()
    add: list[str] = []
    if tool in ("eslint", "stylelint", "oxlint") or (tool == "ruff" and sub == "check"):
        drop = {"--fix", "--unsafe-fixes", "--fix-only"}
    elif tool == "prettier" and {"--write", "-w"} & set(args):
        drop, add = {"--write", "-w"}, ["--check"]
    elif tool == "biome":
        drop = {"--write", "--apply", "--apply-unsafe", "--fix", "--unsafe"}
    elif (tool == "ruff" and sub == "format" and not {"--check", "--diff"} & set(args)) or (
        tool == "black" and not {"--check", "--diff"} & set(args)
    ):
        add = ["--check"]
    elif tool == "isort" and not {"--check", "--check-only", "-c", "--diff"} & set(args):
        add = ["--check-only"]
    elif tool == "cargo" and sub in ("fmt", "clippy"):
        if sub == "fmt" and "--check" not in args:
            add = ["--check"]
        drop = {"--fix", "--allow-dirty", "--allow-staged"}
    elif (
        (tool in ("gofmt", "goimports") and "-w" in args)
        or (tool == "go" and sub == "fmt")
        or (tool == "autopep8" and {"-i", "--in-place"} & set(args))
    ):
        return None
    kept = [a for a in args if a not in drop and not a.startswith("--fix-type")]
    if tool == "cargo" and add and "--" in kept:  # flags for cargo go before the `--`
        cut = kept.index("--")
        kept = kept[:cut] + add + kept[cut:]
        add = []
    elif tool in _NODE_MANAGERS and "--" in kept:  # `npm run lint -- --fix`
        kept = [a for a in kept if a not in {"--fix", "--write"}]
    new = [*seg[:head], tool if "/" not in seg[head] else seg[head], *kept, *add]
    return seg if new == seg else new
