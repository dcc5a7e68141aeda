"""Runs Python mutants against pytest tests in one warm process: imports once, forks per mutant.

This file is a standalone script: the gate copies it next to a JSON plan and runs it with the
project's own interpreter (which need not have shopfloor), so it uses only the standard library and
pytest. Usage: `python driver.py PLAN.json`, in the scratch copy of the task's tree.

The plan: `root` (the copy), `options` and `tests` (pytest options, test ids), `trace` (files whose
lines the baseline run records, per test), `mutants` (each: `file`, `text`, `first`, `last`),
`deadline_s`, `results` (the outcome JSON, rewritten after every mutant so a kill keeps what was done).
The baseline run must pass. Each mutant runs only the tests that executed its lines; a mutant no test
reaches survives without a run, once one such mutant has been run to confirm the trace.
"""

# os.path on purpose: module paths are compared as Python wrote them, without resolving links.
# ruff: noqa: PTH100, PTH105, PTH118

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

_POLL_S = 0.01
_UNUSABLE = {4, 5}
"""pytest's exit codes for a usage error and for no tests collected: a wrong test id, not a kill."""
_COLLECTION = ""
"""The test id for lines run while no test runs (imports at collection): every test may depend on them."""

Trace = dict[str, dict[int, set[str]]]
"""File -> line -> ids of the tests that ran it."""


def main(plan_path: str) -> int:
    with open(plan_path) as fh:
        plan: dict[str, Any] = json.load(fh)
    started = time.monotonic()
    root = os.path.abspath(plan["root"]) + os.sep
    options: list[str] = plan["options"]
    results: dict[str, Any] = {"baseline": None, "mutants": []}
    out_path: str = plan["results"]

    def save() -> None:
        with open(out_path + ".tmp", "w") as fh:
            json.dump(results, fh)
        os.replace(out_path + ".tmp", out_path)

    def left() -> float:
        return float(plan["deadline_s"]) - (time.monotonic() - started)

    _warm_up([*options, *plan["tests"]], root)
    trace_path, log_path = out_path + ".trace", out_path + ".log"
    args = [*options, *plan["tests"]]
    code, timed_out, took = _in_child(args, root, left(), log=log_path, trace=(plan["trace"], trace_path))
    with open(log_path, errors="replace") as fh:
        log_tail = fh.read()[-4000:]
    results["baseline"] = {"exit_code": code, "timed_out": timed_out, "duration_s": took, "output": log_tail}
    save()
    if code != 0:
        return 0
    trace, durations = _read_trace(trace_path)
    overhead = max(took - sum(durations.values()), 0.2)  # starting pytest in a fork, collecting
    confirmed, trusted = False, trace is not None
    for mutant in plan["mutants"]:
        tests = _covering(trace, mutant) if trace is not None else {_COLLECTION}
        unreached = trusted and not tests
        entry: dict[str, Any] = {"status": "not-run", "reached": not unreached, "timed_out": False}
        entry.update(duration_s=0.0, tests=0 if unreached else len(tests))
        subset = not (unreached or _COLLECTION in tests or not trusted)
        # Fastest tests first: with -x the first failure ends the run.
        chosen = sorted(tests, key=lambda t: durations.get(t, 0.0)) if subset else list(plan["tests"])
        expected = overhead + (sum(durations.get(t, 0.0) for t in chosen) if subset else took - overhead)
        if unreached and confirmed:
            entry["status"] = "survived"
        elif left() >= expected:
            fair = 2 * overhead + 3 * (expected - overhead) + 2  # more than a slow machine needs
            limit = min(fair, left())
            code, timed_out, took_now = _run_mutant(mutant, [*options, *chosen], root, limit)
            if subset and code in _UNUSABLE and left() >= took:  # the ids did not work: all the tests
                fair = 3 * took + 2
                limit = min(fair, left())
                code, timed_out, took_now = _run_mutant(mutant, args, root, limit)
            if timed_out and limit < fair:
                entry["status"] = "not-run"  # the budget ran out, not the mutant's time
            else:
                status = "survived" if code == 0 else "killed"
                entry.update(status=status, timed_out=timed_out, duration_s=took_now)
            if unreached:
                confirmed = entry["status"] == "survived"
                trusted = confirmed  # an "unreached" mutant that is killed: the trace cannot be trusted
                entry["reached"] = not confirmed
        results["mutants"].append(entry)
        save()
    return 0


def _covering(trace: Trace, mutant: dict[str, Any]) -> set[str]:
    lines = trace.get(mutant["file"], {})
    return {t for n in range(mutant["first"], mutant["last"] + 1) for t in lines.get(n, ())}


def _run_mutant(
    mutant: dict[str, Any], args: list[str], root: str, limit: float
) -> tuple[int | None, bool, float]:
    with open(mutant["file"], encoding="utf-8") as fh:
        original = fh.read()
    try:
        with open(mutant["file"], "w", encoding="utf-8") as fh:
            fh.write(mutant["text"])
        return _in_child(args, root, limit)
    finally:
        with open(mutant["file"], "w", encoding="utf-8") as fh:
            fh.write(original)


def _warm_up(args: list[str], root: str) -> None:
    """Collect the tests once in this process: what they import stays imported for every fork."""
    import pytest

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        pytest.main(["--collect-only", "-q", *args])
    except BaseException:  # a broken collection shows up again, and is reported, in the baseline run
        pass
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(devnull)
    _forget_project_modules(root)
    gc.collect()
    gc.freeze()  # what the forks share need not be scanned by their collector again


def _forget_project_modules(root: str) -> None:
    """Drop the project's own modules so the next import reads them (mutated or not) from disk."""
    for name, module in list(sys.modules.items()):
        paths = [getattr(module, "__file__", None) or "", *list(getattr(module, "__path__", None) or [])]
        if any(isinstance(p, str) and os.path.abspath(p).startswith(root) for p in paths):
            del sys.modules[name]


def _in_child(
    args: list[str],
    root: str,
    timeout_s: float,
    *,
    log: str | None = None,
    trace: tuple[list[str], str] | None = None,
) -> tuple[int | None, bool, float]:
    """Run pytest in a forked child; (exit code or None, timed out, seconds)."""
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            out = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(out, 2)
            _forget_project_modules(root)
            import pytest

            if trace is None:
                code = int(pytest.main(list(args)))
            else:
                tracer = _Tracer(set(trace[0]), root)
                code = int(pytest.main(list(args), plugins=[tracer]))
                tracer.save(trace[1])
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False, time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None, True, time.monotonic() - start
        time.sleep(_POLL_S)


class _Tracer:
    """A pytest plugin that records which test ran which lines of the watched files."""

    def __init__(self, watched: set[str], root: str):
        self.watched = watched
        self.root = root
        self.rootdir = root
        self.current = _COLLECTION
        self.hits: Trace = {}
        self.durations: dict[str, float] = {}
        sys.settrace(self._start)
        threading.settrace(self._start)

    def pytest_configure(self, config: Any) -> None:
        self.rootdir = str(config.rootpath)

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        """The test about to run, named from the copy's root so that it can be passed back to pytest."""
        file, sep, rest = nodeid.partition("::")
        self.current = os.path.relpath(os.path.join(self.rootdir, file), self.root) + sep + rest

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[self.current] = self.durations.get(self.current, 0.0) + float(report.duration)

    def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
        self.current = _COLLECTION

    def _start(self, frame: FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_filename in self.watched:
            self._record(frame)
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            self._record(frame)
        return self._local

    def _record(self, frame: FrameType) -> None:
        self.hits.setdefault(frame.f_code.co_filename, {}).setdefault(frame.f_lineno, set()).add(self.current)

    def save(self, path: str) -> None:
        sys.settrace(None)
        lines = {f: {str(n): sorted(t) for n, t in hits.items()} for f, hits in self.hits.items()}
        with open(path, "w") as fh:
            json.dump({"lines": lines, "durations": self.durations}, fh)


def _read_trace(path: str) -> tuple[Trace | None, dict[str, float]]:
    """Lines per test and seconds per test; no lines when nothing was recorded (another tracer won)."""
    try:
        with open(path) as fh:
            raw = json.load(fh)
    except (OSError, ValueError):
        return None, {}
    trace: Trace = {f: {int(n): set(t) for n, t in lines.items()} for f, lines in raw["lines"].items()}
    return (trace if any(trace.values()) else None), raw["durations"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
