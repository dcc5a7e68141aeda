"""Python mutants run by `mutant_driver` in the project's interpreter: one process, started through the
gate's process helper, that imports the tests' dependencies once and forks for every mutant."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from shopfloor.gate.testproof import mutant_driver
from shopfloor.gate.testproof.execution import pytest_env
from shopfloor.gate.testproof.mutants import Mutant
from shopfloor.tools.confined import Confinement

_DRIVER = "_shopfloor_mutants.py"
_SLACK_S = 10.0
"""Time on top of the budget for the driver to start and write its last result before it is killed."""


class _Run(BaseModel):
    exit_code: int | None
    timed_out: bool
    duration_s: float
    output: str = ""


class _MutantRun(BaseModel):
    status: str
    reached: bool
    timed_out: bool
    duration_s: float


class _Results(BaseModel):
    baseline: _Run | None
    mutants: list[_MutantRun]


@dataclass
class DriverOutcome:
    """What the driver did: the baseline run, then each mutant's fate in the order given."""

    baseline_ok: bool
    baseline_s: float
    baseline_timed_out: bool = False
    """The first run of the tests did not finish within the budget."""
    why: str = ""
    """Why the baseline did not pass, or why the driver stopped before the end: its last output line."""
    mutants: list[tuple[str, bool, bool, float]] = field(default_factory=list)
    """(status, reached, timed out, seconds) per mutant, in order; missing ones were not run."""


async def run_python_mutants(
    copy: Path,
    python: str,
    options: list[str],
    tests: list[str],
    mutants: list[Mutant],
    budget_s: float,
    confinement: Confinement,
) -> DriverOutcome:
    """Run `mutants` (files relative to `copy`) against pytest `tests`, within `budget_s` seconds, confined
    like every run of the task's code (the driver writes its results beside the copy)."""
    work = copy.parent / "driver"
    work.mkdir(exist_ok=True)
    shutil.copyfile(mutant_driver.__file__, work / _DRIVER)
    results = work / "results.json"
    plan = {
        "root": str(copy),
        "options": options,
        "tests": tests,
        "trace": sorted({str(copy / m.file) for m in mutants}),
        "mutants": [
            {
                "file": str(copy / m.file),
                "text": m.apply((copy / m.file).read_text(encoding="utf-8")),
                "first": m.line,
                "last": m.last_line,
            }
            for m in mutants
        ],
        "deadline_s": budget_s,
        "results": str(results),
    }
    (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    argv = [python, str(work / _DRIVER), str(work / "plan.json")]
    res = await confinement.run(
        argv,
        cwd=copy,
        writable=[copy, work],
        timeout_s=budget_s + _SLACK_S,
        env=pytest_env(copy, confinement=confinement),
    )
    try:
        done = _Results.model_validate_json(results.read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        lines = res.output.strip().splitlines()
        return DriverOutcome(False, res.duration_s, why=lines[-1] if lines else "the driver did not start")
    base = done.baseline
    if base is None or base.exit_code != 0:
        tail = base.output.strip().splitlines()[-1:] if base is not None else []
        outcome = DriverOutcome(False, base.duration_s if base else 0.0, why=tail[0] if tail else "")
        outcome.baseline_timed_out = base is not None and base.timed_out
        return outcome
    runs = [(m.status, m.reached, m.timed_out, m.duration_s) for m in done.mutants]
    crashed = len(runs) < len(mutants) and not res.timed_out and res.exit_code != 0
    lines = res.output.strip().splitlines()
    why = f"the mutant driver stopped early: {lines[-1] if lines else f'exit code {res.exit_code}'}"
    return DriverOutcome(True, base.duration_s, why=why if crashed else "", mutants=runs)
