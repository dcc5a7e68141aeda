"""Running chosen test files and reading per-test results: pytest, node's built-in runner, or a command."""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar, Literal, Protocol

from pydantic import BaseModel, Field

from shopfloor.gate.testfiles import test_language
from shopfloor.tools.confined import Confinement

TestStatus = Literal["passed", "failed", "error", "skipped"]
FileOutcome = Literal["passed", "failed", "no-tests"]

_TAIL_CHARS = 4000
_WORST: dict[TestStatus, int] = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


class TestRunnerSpec(BaseModel):
    """How to run test files; `auto` picks pytest for Python files and `node --test` for JavaScript."""

    __test__: ClassVar[bool] = False  # a library class, not a pytest test class

    kind: Literal["auto", "pytest", "node", "command"] = "auto"
    command: list[str] = Field(default_factory=list)
    """For `command`: the argv to run, with one test file appended per run (exit 0 means it passed)."""
    python: str | None = None
    """Interpreter for pytest; default: the project's .venv/bin/python if it has one, else `python3` on
    the PATH the tests run with (as the project's checks do), never shopfloor's own interpreter."""
    pytest_args: list[str] = Field(default_factory=list)
    node: str = "node"
    share_dirs: list[str] = Field(default_factory=lambda: ["node_modules"])
    """Ignored folders of the tree (installed dependencies) linked into the base worktree."""
    env: dict[str, str] = Field(default_factory=dict)
    """More environment variables for every run (on top of the scrubbed environment)."""


class TestCaseResult(BaseModel):
    __test__: ClassVar[bool] = False  # a library class, not a pytest test class

    file: str
    name: str
    """`TestThing.test_x[param]` for pytest, `group > title` for node, `<file>` for a whole-file command."""
    status: TestStatus

    @property
    def test_id(self) -> str:
        return f"{self.file}::{self.name}"


class TestRun(BaseModel):
    """One run of a runner on some files in one directory."""

    __test__: ClassVar[bool] = False  # a library class, not a pytest test class

    where: str
    """`base` (the temporary worktree) or `tree`."""
    command: list[str]
    files: list[str]
    exit_code: int | None
    timed_out: bool
    duration_s: float
    output_tail: str
    cases: list[TestCaseResult]

    def outcome(self, file: str) -> FileOutcome:
        """Whether `file` failed in this run, passed, or ran no test at all (all skipped, none collected)."""
        statuses = {c.status for c in self.cases if c.file == file}
        if statuses & {"failed", "error"}:
            return "failed"
        if "passed" in statuses:
            return "passed"
        if self.timed_out or (not statuses and self.exit_code not in (0, 5)):
            return "failed"  # it crashed before reporting anything; pytest's 5 means "no tests collected"
        return "no-tests"


class FileRunner(Protocol):
    """A way to run test files and report per-test results."""

    name: str

    def handles(self, rel_path: str) -> bool: ...

    async def run(self, cwd: Path, files: list[str], *, where: str, timeout_s: float) -> TestRun: ...


def make_runners(
    spec: TestRunnerSpec, project_dirs: list[Path], confinement: Confinement | None = None
) -> list[FileRunner]:
    """The runners `spec` asks for; `project_dirs` are searched for a .venv interpreter. They run the
    tests (the task's code) confined as `confinement` says: by default, sandboxed and offline."""
    box = confinement or Confinement()
    pytest_runner = PytestRunner(spec.python or python_for(project_dirs), spec.pytest_args, box, spec.env)
    node_runner = NodeRunner(spec.node, box, spec.env)
    if spec.kind == "pytest":
        return [pytest_runner]
    if spec.kind == "node":
        return [node_runner]
    if spec.kind == "command":
        if not spec.command:
            raise ValueError("a `command` test runner needs its command")
        return [CommandRunner(spec.command, box, spec.env)]
    return [pytest_runner, node_runner]


def python_for(project_dirs: list[Path]) -> str:
    """The project's own interpreter when it has a .venv (not resolved: the link is what makes it a venv),
    else `python3` as the tests' PATH finds it: shopfloor's own packages must not make a project's tests
    pass or fail."""
    for d in project_dirs:
        for rel in (".venv/bin/python", ".venv/Scripts/python.exe"):
            candidate = d / rel
            if candidate.exists():
                return str(candidate)
    return "python3"


class PytestRunner:
    name = "pytest"

    def __init__(
        self, python: str, extra_args: list[str], confinement: Confinement, env: dict[str, str] | None = None
    ):
        self.python = python
        self.extra_args = extra_args
        self.box = confinement
        self.env = env or {}

    def handles(self, rel_path: str) -> bool:
        return test_language(rel_path) == "python"

    async def run(self, cwd: Path, files: list[str], *, where: str, timeout_s: float) -> TestRun:
        with tempfile.TemporaryDirectory(prefix="shopfloor-junit-") as tmp:
            xml = Path(tmp) / "junit.xml"
            argv = [
                self.python,
                "-m",
                "pytest",
                "-q",
                "-rA",
                "-p",
                "no:cacheprovider",
                "--continue-on-collection-errors",
                "-o",
                "junit_family=xunit1",
                f"--junitxml={xml}",
                *self.extra_args,
                *files,
            ]
            env = pytest_env(cwd, self.env, self.box)
            res = await self.box.run(argv, cwd=cwd, writable=[cwd, Path(tmp)], timeout_s=timeout_s, env=env)
            cases = parse_pytest_junit(xml, files) if xml.exists() else []
        return TestRun(
            where=where,
            command=argv,
            files=files,
            exit_code=res.exit_code,
            timed_out=res.timed_out,
            duration_s=res.duration_s,
            output_tail=res.output[-_TAIL_CHARS:],
            cases=cases,
        )


def pytest_env(
    cwd: Path, extra: dict[str, str] | None = None, confinement: Confinement | None = None
) -> dict[str, str]:
    """The allowlisted environment for Python tests run in `cwd`, its own code first on the import path."""
    # The checkout's own code must win over an editable install that points at another checkout.
    paths = [str(cwd / "src"), str(cwd), os.environ.get("PYTHONPATH", "")]
    box = confinement or Confinement()
    return box.env(extra={**(extra or {}), "PYTHONPATH": os.pathsep.join(p for p in paths if p)})


class NodeRunner:
    """node's built-in runner, one process per file so each result is tied to its file."""

    name = "node"

    def __init__(self, node: str, confinement: Confinement, env: dict[str, str] | None = None):
        self.node = node
        self.box = confinement
        self.env = env or {}

    def handles(self, rel_path: str) -> bool:
        return test_language(rel_path) == "js" and not rel_path.endswith((".ts", ".tsx", ".mts", ".cts"))

    async def run(self, cwd: Path, files: list[str], *, where: str, timeout_s: float) -> TestRun:
        cases: list[TestCaseResult] = []
        outputs: list[str] = []
        exit_code: int | None = 0
        timed_out, duration = False, 0.0
        argv: list[str] = []
        with tempfile.TemporaryDirectory(prefix="shopfloor-junit-") as tmp:
            for n, file in enumerate(files):
                xml = Path(tmp) / f"junit-{n}.xml"
                argv = [
                    self.node,
                    "--test",
                    "--test-reporter=spec",
                    "--test-reporter-destination=stdout",
                    "--test-reporter=junit",
                    f"--test-reporter-destination={xml}",
                    file,
                ]
                res = await self.box.run(
                    argv,
                    cwd=cwd,
                    writable=[cwd, Path(tmp)],
                    timeout_s=timeout_s,
                    env=self.box.env(extra=self.env),
                )
                duration += res.duration_s
                timed_out |= res.timed_out
                exit_code = res.exit_code if exit_code == 0 else exit_code
                outputs.append(res.output[-_TAIL_CHARS:])
                if xml.exists():
                    cases.extend(parse_node_junit(xml, file))
                if not any(c.file == file for c in cases) and res.exit_code != 0:
                    cases.append(TestCaseResult(file=file, name="<file>", status="error"))
        return TestRun(
            where=where,
            command=[*argv[:-1], "<file>"] if len(files) > 1 else argv,
            files=files,
            exit_code=exit_code,
            timed_out=timed_out,
            duration_s=duration,
            output_tail="\n".join(outputs)[-_TAIL_CHARS:],
            cases=cases,
        )


class CommandRunner:
    """Any command that takes a test file and exits non-zero when it fails (vitest run, jest, npm test --)."""

    name = "command"

    def __init__(self, command: list[str], confinement: Confinement, env: dict[str, str] | None = None):
        self.command = command
        self.box = confinement
        self.env = env or {}

    def handles(self, rel_path: str) -> bool:
        return test_language(rel_path) is not None

    async def run(self, cwd: Path, files: list[str], *, where: str, timeout_s: float) -> TestRun:
        cases: list[TestCaseResult] = []
        outputs: list[str] = []
        exit_code: int | None = 0
        timed_out, duration = False, 0.0
        for file in files:
            res = await self.box.run(
                [*self.command, file],
                cwd=cwd,
                writable=[cwd],
                timeout_s=timeout_s,
                env=self.box.env(extra=self.env),
            )
            duration += res.duration_s
            timed_out |= res.timed_out
            exit_code = res.exit_code if exit_code == 0 else exit_code
            outputs.append(res.output[-_TAIL_CHARS:])
            cases.append(
                TestCaseResult(file=file, name="<file>", status="passed" if res.exit_code == 0 else "failed")
            )
        return TestRun(
            where=where,
            command=[*self.command, "<file>"],
            files=files,
            exit_code=exit_code,
            timed_out=timed_out,
            duration_s=duration,
            output_tail="\n".join(outputs)[-_TAIL_CHARS:],
            cases=cases,
        )


def parse_pytest_junit(xml: Path, files: list[str]) -> list[TestCaseResult]:
    """Per-test results from pytest's xunit1 report, each tied to one of the requested `files`."""
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError:
        return []
    merged: dict[tuple[str, str], TestStatus] = {}
    for case in root.iter("testcase"):
        reported = case.get("file", "").replace("\\", "/")
        file = next((f for f in files if _same_file(f, reported)), reported)
        classname, name = case.get("classname", ""), case.get("name", "")
        module = reported.removesuffix(".py").replace("/", ".")
        if not classname and _status(case) == "error":
            name = "<collection>"
        elif classname.startswith(module + "."):
            name = f"{classname[len(module) + 1 :]}.{name}"
        key = (file, name)
        status = _status(case)
        if key not in merged or _WORST[status] > _WORST[merged[key]]:
            merged[key] = status  # a test that passed but broke in teardown shows up twice
    return [TestCaseResult(file=f, name=n, status=s) for (f, n), s in merged.items()]


def parse_node_junit(xml: Path, file: str) -> list[TestCaseResult]:
    """Per-test results from node's junit reporter; nested suites give `group > title` names."""
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError:
        return []
    out: list[TestCaseResult] = []

    def walk(node: ET.Element, prefix: str) -> None:
        for child in node:
            if child.tag == "testsuite":
                walk(child, f"{prefix}{child.get('name', '')} > ")
            elif child.tag == "testcase":
                out.append(
                    TestCaseResult(file=file, name=prefix + child.get("name", ""), status=_status(child))
                )

    walk(root, "")
    return out


def _status(case: ET.Element) -> TestStatus:
    tags = {child.tag for child in case}
    if "error" in tags:
        return "error"
    if "failure" in tags:
        return "failed"
    if "skipped" in tags:
        return "skipped"
    return "passed"


def _same_file(requested: str, reported: str) -> bool:
    """pytest reports paths from its rootdir, which may sit above or below the directory it ran in."""
    if not reported:
        return False
    return requested == reported or requested.endswith("/" + reported) or reported.endswith("/" + requested)


def group_files(runners: list[FileRunner], files: list[str]) -> list[tuple[int, list[str]]]:
    """Files grouped by the first runner that handles each (by its index in `runners`); others left out."""
    groups: dict[int, list[str]] = {}
    for f in files:
        idx = next((i for i, r in enumerate(runners) if r.handles(f)), None)
        if idx is not None:
            groups.setdefault(idx, []).append(f)
    return sorted(groups.items())
