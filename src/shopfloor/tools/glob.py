"""Glob: file paths matching a pattern, newest first, via ripgrep or a pure-Python walk."""

from __future__ import annotations

import asyncio
import functools
import heapq
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from shopfloor.tools.base import Tool, ToolError, ToolInput
from shopfloor.tools.context import ToolContext
from shopfloor.tools.globs import GlobSyntaxError, glob_to_regex
from shopfloor.tools.process import child_env, kill_group
from shopfloor.tools.protected import secret_paths_within
from shopfloor.tools.textfiles import displayable

MAX_RESULTS = 100
_STAT_BATCH = 4096
RG_TIMEOUT_S = 120.0


def find_rg() -> str | None:
    """Path of the ripgrep binary, or None when it is not installed."""
    return shutil.which("rg")


@dataclass(frozen=True)
class GlobMatcher:
    """A pattern with ripgrep's `--glob` meaning, matched against paths relative to the search root.

    As in a .gitignore line: no slash means "this name at any depth", a slash anchors the pattern to
    the root, a trailing slash means directories only (so no file matches it), and a leading `!`
    negates, which also leaves out everything inside a matching directory.
    """

    regex: re.Pattern[str] | None
    """None for a pattern that filters nothing (a gitignore comment)."""
    negate: bool = False
    dir_only: bool = False
    start_dir: str = ""
    """A literal leading directory of an anchored pattern: the search can start there."""
    rest: str = ""
    """The pattern below `start_dir`, anchored there."""

    def matches_file(self, rel: str) -> bool:
        if self.regex is None:
            return True
        if self.dir_only:
            return self.negate
        return (self.regex.fullmatch(rel) is not None) != self.negate

    def prunes_dir(self, rel: str) -> bool:
        """True when nothing inside directory `rel` can be listed."""
        return self.negate and self.regex is not None and self.regex.fullmatch(rel) is not None


def compile_glob(pattern: str) -> GlobMatcher:
    """Translate a glob (`**`, `*`, `?`, `[...]`, `{a,b}`, `\\` escapes) into a matcher."""
    negate = pattern.startswith("!")
    if negate or pattern.startswith(("\\!", "\\#")):
        pattern = pattern[1:]
    elif pattern.startswith("#"):  # a comment line in gitignore terms: it filters nothing
        return GlobMatcher(None)
    dir_only = pattern.endswith("/") and not pattern.endswith("\\/")
    if dir_only:
        pattern = pattern.rstrip("/")
    anchored = pattern.startswith("/")
    if anchored:
        pattern = pattern.lstrip("/")
    elif "/" not in pattern:
        pattern = "**/" + pattern
    regex = re.compile(glob_to_regex(pattern, strict=True), re.DOTALL)
    start: list[str] = []
    parts = pattern.split("/")
    if not negate and not dir_only:
        start = list(_takewhile_literal(parts[:-1]))
    return GlobMatcher(regex, negate, dir_only, "/".join(start), "/".join(parts[len(start) :]))


def _takewhile_literal(parts: Iterable[str]) -> Iterator[str]:
    for part in parts:
        if not part or part in (".", "..") or any(c in part for c in "*?[{\\"):
            return
        yield part


class GlobInput(ToolInput):
    pattern: str = Field(description='The glob, e.g. "**/*.py" or "src/**/*.{ts,tsx}".')
    path: str | None = Field(
        default=None,
        description="Directory to search (absolute); the whole workspace when left out.",
    )


class GlobTool(Tool[GlobInput]):
    name = "Glob"
    read_only = True
    input_model = GlobInput
    description = (
        "Find files by name or path pattern (`**`, `*`, `?`, `[abc]`, `{a,b}`). A pattern without a "
        'slash matches file names at any depth ("*.py"); one with a slash matches from the search '
        'directory ("src/**/*.ts"). Returns absolute paths, newest first, at most '
        f"{MAX_RESULTS}; hidden and git-ignored files count, .git does not. Grep searches inside files; "
        "run several searches in one turn."
    )

    def __init__(self, *, use_rg: bool = True):
        self.use_rg = use_rg

    async def run(self, args: GlobInput, ctx: ToolContext) -> str:
        pattern = args.pattern.strip()
        if not pattern:
            raise ToolError("Error: the parameter `pattern` is empty; give a glob such as **/*.py.")
        base = ctx.workspace.resolve(args.path) if args.path else ctx.workspace.root
        base, pattern = _split_absolute(pattern, base, ctx)
        if not base.exists():
            raise ToolError(f"Error: Directory does not exist: {base}")
        if not base.is_dir():
            raise ToolError(f"Error: {base} is not a directory. Pass a directory as `path`.")
        while pattern.startswith("./"):
            pattern = pattern[2:]
        try:
            matcher = compile_glob(pattern)
        except GlobSyntaxError as err:
            raise ToolError(f"Error: invalid glob pattern {pattern!r}: {err}") from err

        # A pattern such as "src/api/**/*.ts" only needs src/api searched, unless getting there means
        # passing through a symlink or .git, which the search would not enter.
        root, rg_pattern = base, pattern
        if matcher.start_dir:
            root, rg_pattern = base / matcher.start_dir, "/" + matcher.rest
            if ".git" in matcher.start_dir.split("/") or os.path.realpath(root) != str(root):
                return "No files found"
            if not root.is_dir():
                return "No files found"
        # Names only, but the credential stores stay unlisted when a search covers the home directory.
        newest = _NewestFiles(root, secret_paths_within(root))
        rg = find_rg() if self.use_rg else None
        if rg is not None:
            await _rg_files(rg, root, rg_pattern, newest)
        else:
            newest.add(await asyncio.to_thread(_walk_files, root, matcher))
        total, paths = await newest.result()
        if not paths:
            return "No files found"
        lines = [displayable(os.fsdecode(p)) for p in paths]
        if total > len(paths):
            lines.append(
                f"(Results are truncated: showing the {len(paths)} most recently modified of {total} "
                "matching files. Use a more specific pattern or path to see others.)"
            )
        return "\n".join(lines)


def _split_absolute(pattern: str, base: Path, ctx: ToolContext) -> tuple[Path, str]:
    """Models often put the directory into the pattern ("/repo/src/**/*.py"); honour that."""
    if not pattern.startswith("/"):
        return base, pattern
    parts = pattern.split("/")[1:]
    if not parts or not parts[0] or not Path("/" + parts[0]).exists():
        return base, pattern  # an anchored pattern relative to the search directory
    literal = list(_takewhile_literal(parts[:-1]))
    rest = "/".join(parts[len(literal) :]) or "**"
    return ctx.workspace.resolve("/" + "/".join(literal)), "/" + rest


async def _rg_files(rg: str, base: Path, pattern: str, sink: _NewestFiles) -> None:
    """List matching files with ripgrep, handing them to `sink` in batches while it still runs."""
    # Not filtered by .gitignore (or .ignore/.rgignore): someone looking for a file by name wants to
    # find it even when it is ignored (.env.example, build output, a vendored file). .git is skipped,
    # and without --follow ripgrep does not enter symlinked folders, so links leading outside the
    # workspace cannot leak files.
    argv = [rg, "--no-config", "--files", "--hidden", "--no-ignore", "--null"]
    argv += ["--glob", pattern, "--glob", "!.git"]
    # A direct call rather than run_process: the list can run to megabytes that must arrive whole and
    # apart from error messages, and statting it while ripgrep still walks hides most of that cost.
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=base,
        env=child_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    errors = asyncio.ensure_future(proc.stderr.read())
    listed = False
    try:
        async with asyncio.timeout(RG_TIMEOUT_S):
            rest = b""
            while chunk := await proc.stdout.read(1 << 18):
                *done, rest = (rest + chunk).split(b"\0")
                if done:
                    listed = True
                    sink.add(done)
            await proc.wait()
            message = (await errors).decode("utf-8", "replace").strip()
    except TimeoutError:
        raise ToolError(
            f"Error: Glob gave up after {RG_TIMEOUT_S:.0f}s; search a narrower `path` or pattern."
        ) from None
    finally:
        kill_group(proc.pid)
        if proc.returncode is None:
            await proc.wait()
        errors.cancel()
    if proc.returncode == 2 and not listed:  # 1 means nothing matched; 2 with output, some paths failed
        raise ToolError(f"Error: {message or 'ripgrep failed'}")


def _walk_files(root: Path, matcher: GlobMatcher) -> list[bytes]:
    """Matching files under `root` (the pattern's start directory), found by walking the tree.

    This is the fallback without ripgrep; paths come back relative to `root`.
    """
    found: list[bytes] = []
    if matcher.dir_only and not matcher.negate:
        return found
    # The pattern is matched against paths relative to the search directory, above `root`.
    prefix = matcher.start_dir + "/" if matcher.start_dir else ""
    stack = [(str(root), "")]
    while stack:
        folder, rel_dir = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name == ".git":
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                # Symlinks are neither listed nor followed, as with ripgrep without --follow.
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    if not matcher.prunes_dir(prefix + rel):
                        stack.append((entry.path, rel))
                elif entry.is_file() and matcher.matches_file(prefix + rel):
                    found.append(os.fsencode(rel))
            except OSError:
                continue
    return found


@functools.cache
def _stat_pool() -> ThreadPoolExecutor:
    # Two workers: stat releases the GIL only for the system call itself, so more threads mostly
    # contend; two already let statting overlap with ripgrep's walk and with the event loop.
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="glob-stat")


class _NewestFiles:
    """Stats listed files in worker threads as batches arrive, keeping a count and the newest few."""

    def __init__(self, base: Path, hidden: list[Path]):
        root = os.fsencode(base)
        self._root = root if root.endswith(b"/") else root + b"/"
        self._hidden = {os.fsencode(p) for p in hidden}
        self._batches: list[asyncio.Future[tuple[int, list[tuple[int, bytes]]]]] = []

    def add(self, rels: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        for i in range(0, len(rels), _STAT_BATCH):
            batch = rels[i : i + _STAT_BATCH]
            self._batches.append(loop.run_in_executor(_stat_pool(), self._stat, batch))

    async def result(self) -> tuple[int, list[bytes]]:
        """How many files there are, and the absolute paths of the newest, ties broken by path."""
        done = await asyncio.gather(*self._batches)
        total = sum(n for n, _ in done)
        best = heapq.nsmallest(MAX_RESULTS, (item for _, top in done for item in top))
        return total, [p for _, p in best]

    def _stat(self, rels: list[bytes]) -> tuple[int, list[tuple[int, bytes]]]:
        stamped: list[tuple[int, bytes]] = []
        stat, root, hidden = os.stat, self._root, self._hidden
        hidden_dirs = tuple(h + b"/" for h in hidden)
        for rel in rels:
            full = root + rel
            if hidden and (full in hidden or full.startswith(hidden_dirs)):
                continue
            try:
                stamped.append((-stat(full).st_mtime_ns, full))
            except OSError:  # deleted since it was listed
                continue
        return len(stamped), heapq.nsmallest(MAX_RESULTS, stamped)
