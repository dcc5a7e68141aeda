"""Gate time per fixture project, and the security checklist's findings on a clean real-sized project.

    .venv/bin/python bench/gate_bench.py [--runs N] [--packages fastapi starlette]

Part 1 copies each fixture project (tests/gate/fixtures) into a git repository, lays a task's change
over it (left uncommitted, as an agent leaves it) and times the whole gate: tree hash, detected checks,
tamper guard and the checklist on the diff. Median of N runs, with the checks in the sandbox (as
shipped) and without it, taking turns, so the difference is what the sandbox costs.
Part 2 runs the checklist over installed packages treated as a whole tree (every line in scope) and
counts findings by severity; every high finding is listed so a person can judge it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.config.sections import GateSettings, SandboxSettings
from shopfloor.gate.report import Check, GateTask
from shopfloor.gate.security import run_checklist, source_files
from shopfloor.gate.verify import run_check, run_gate
from shopfloor.tools.confined import Confinement

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "gate" / "fixtures"
CASES = [
    ("py_clean", "py", None),
    ("py sqli_fstring", "py", "sqli_fstring"),
    ("js_clean", "js", None),
    ("js sqli_template", "js", "sqli_template"),
]


def _git(repo: Path, *args: str) -> None:
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)


def _project(tmp: Path, kind: str, variant: str | None) -> Path:
    root = tmp / "proj"
    shutil.copytree(FIXTURES / f"{kind}_clean", root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    if variant:
        shutil.copytree(FIXTURES / f"{kind}_vuln" / variant, root, dirs_exist_ok=True)
    return root


@dataclass
class Timing:
    totals: list[float] = field(default_factory=list)
    checks: list[float] = field(default_factory=list)
    verdict: str = ""
    findings: int = 0


async def time_gate(kind: str, variant: str | None, runs: int) -> dict[str, Timing]:
    """Per mode (sandboxed, unconfined): the whole gate's and the checks' wall times, verdict, findings."""
    modes = {"sandboxed": SandboxSettings(), "unconfined": SandboxSettings(enabled=False)}
    out = {mode: Timing() for mode in modes}
    for _ in range(runs):
        for mode, sandbox in modes.items():
            with tempfile.TemporaryDirectory() as tmp:
                root = _project(Path(tmp), kind, variant)
                start = time.perf_counter()
                report = await run_gate(
                    root, task=GateTask(id="BENCH"), base_ref="HEAD", settings=GateSettings(), sandbox=sandbox
                )
                t = out[mode]
                t.totals.append(time.perf_counter() - start)
                t.checks.append(sum(c.duration_s for c in report.checks))
                t.verdict, t.findings = report.verdict, len(report.findings)
    return out


async def check_overhead(runs: int) -> dict[str, float]:
    """Median wall time of one trivial check (`true`) through `run_check`, sandboxed and unconfined."""
    samples: dict[str, list[float]] = {"sandboxed": [], "unconfined": []}
    boxes = {"sandboxed": Confinement(), "unconfined": Confinement(SandboxSettings(enabled=False))}
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        check = Check(name="true", kind="custom", argv=["true"], cwd=tree, timeout_s=60)
        for _ in range(runs):
            for mode, box in boxes.items():
                start = time.perf_counter()
                await run_check(check, tree, GateSettings(), confinement=box)
                samples[mode].append(time.perf_counter() - start)
    return {mode: statistics.median(s) for mode, s in samples.items()}


async def scan_package(name: str) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        print(f"{name}: not installed, skipped")
        return
    root = Path(next(iter(spec.submodule_search_locations)))
    files = source_files(root)
    start = time.perf_counter()
    findings = await run_checklist(root)
    took = time.perf_counter() - start
    by_sev = Counter(f.severity for f in findings)
    version = _version(name)
    print(
        f"| {name} {version} | {len(files)} | {by_sev['high']} | {by_sev['medium']} | {by_sev['low']} "
        f"| {took:.1f} s |"
    )
    for f in findings:
        if f.severity == "high":
            print(f"    HIGH {f.location} [{f.rule_id}] {f.message}")


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--packages", nargs="*", default=["fastapi", "starlette"])
    args = parser.parse_args()

    print(f"Gate time per fixture (median of {args.runs}):\n")
    print("| fixture | whole gate | checks alone | checks unconfined | sandbox cost | verdict | findings |")
    print("|---|---|---|---|---|---|---|")
    for label, kind, variant in CASES:
        timed = await time_gate(kind, variant, args.runs)
        boxed, bare = timed["sandboxed"], timed["unconfined"]
        total, checks, open_checks = (statistics.median(x) for x in (boxed.totals, boxed.checks, bare.checks))
        print(
            f"| {label} | {total:.2f} s | {checks:.2f} s | {open_checks:.2f} s | "
            f"{checks - open_checks:+.2f} s | {boxed.verdict} | {boxed.findings} |"
        )

    fixed = await check_overhead(max(30, args.runs))
    print(
        f"\nOne trivial check (`true`): {fixed['sandboxed'] * 1000:.1f} ms sandboxed, "
        f"{fixed['unconfined'] * 1000:.1f} ms unconfined (median of {max(30, args.runs)})"
    )

    print("\nChecklist over installed packages as whole trees:\n")
    print("| package | files | high | medium | low | time |")
    print("|---|---|---|---|---|---|")
    for name in args.packages:
        await scan_package(name)


if __name__ == "__main__":
    asyncio.run(main())
