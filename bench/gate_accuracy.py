"""How well the security checklist finds what the corpus apps plant, and how quiet it is on their twins.

    .venv/bin/python bench/gate_accuracy.py [--no-bandit] [--apps flask express ...]

Each app of tests/gate/corpus has a `vuln/` tree with planted vulnerabilities (marked `VULN: rule` on
the line they should be reported at, `VULN(medium): rule` for the ones that are review items by design)
and a `clean/` twin, the same code fixed. The whole checklist runs on each tree as `shopfloor verify`
runs it on a tree without a base (every line in scope). Printed per app and in total:

- recall at high: planted high-severity vulnerabilities reported at high, at their line;
- recall at any severity: planted vulnerabilities reported at their line at any severity;
- high on clean: high findings on the clean twin (each one listed);
- seconds the checklist took on both trees.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gate.corpus_markers import APPS, CORPUS, Planted, planted, reported  # noqa: E402

from shopfloor.gate.findings import Finding  # noqa: E402
from shopfloor.gate.security import run_checklist  # noqa: E402


@dataclass
class Score:
    app: str
    planted_high: int = 0
    found_high: int = 0
    planted_all: int = 0
    found_any: int = 0
    clean_high: int = 0
    seconds: float = 0.0


def _found(p: Planted, findings: list[Finding], severities: set[str]) -> bool:
    return any(
        reported(p, f.file, f.line, f.end_line, f.rule_id) and f.severity in severities for f in findings
    )


async def score(app: str, bandit: bool) -> tuple[Score, list[Finding]]:
    s = Score(app)
    start = time.perf_counter()
    vuln = await run_checklist(CORPUS / app / "vuln", use_bandit=bandit)
    clean = await run_checklist(CORPUS / app / "clean", use_bandit=bandit)
    s.seconds = time.perf_counter() - start
    for p in planted(CORPUS / app / "vuln"):
        s.planted_all += 1
        s.found_any += _found(p, vuln, {"high", "medium", "low"})
        if p.severity == "high":
            s.planted_high += 1
            s.found_high += _found(p, vuln, {"high"})
    highs = [f for f in clean if f.severity == "high"]
    s.clean_high = len(highs)
    return s, highs


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}% ({a}/{b})" if b else "n/a"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-bandit", action="store_true", help="leave bandit out (own rules only)")
    parser.add_argument("--apps", nargs="*", default=APPS, help="corpus apps to run")
    args = parser.parse_args()
    total = Score("total")
    print(f"{'app':10} {'recall at high':>16} {'recall any':>16} {'high on clean':>14} {'seconds':>8}")
    for app in args.apps:
        s, highs = await score(app, bandit=not args.no_bandit)
        print(
            f"{app:10} {_pct(s.found_high, s.planted_high):>16} {_pct(s.found_any, s.planted_all):>16} "
            f"{s.clean_high:>14} {s.seconds:>8.2f}"
        )
        for f in highs:
            print(f"    high on clean: {f.file}:{f.line} {f.rule_id} {f.message}")
        for field in ("planted_high", "found_high", "planted_all", "found_any", "clean_high", "seconds"):
            setattr(total, field, getattr(total, field) + getattr(s, field))
    print(
        f"{'total':10} {_pct(total.found_high, total.planted_high):>16} "
        f"{_pct(total.found_any, total.planted_all):>16} {total.clean_high:>14} {total.seconds:>8.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
