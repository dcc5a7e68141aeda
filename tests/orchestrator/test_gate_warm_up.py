"""The gate's warm-up: it loads the gate and its scanners once told to begin, and nothing once cancelled.

Each case runs in a fresh interpreter, where nothing of the gate is imported yet."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from shopfloor.orchestrator.coordinator import GateWarmUp
assert "shopfloor.gate.verify" not in sys.modules and "bandit" not in sys.modules
warm = GateWarmUp(scanners={scanners})
warm.{signal}()
warm.load()
print("shopfloor.gate.verify" in sys.modules, "bandit.core.manager" in sys.modules)
"""


def loaded(signal: str, *, scanners: bool = True) -> str:
    code = PROBE.format(signal=signal, scanners=scanners)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_begun_warm_up_loads_the_gate_and_the_scanners() -> None:
    assert loaded("begin") == "True True"


def test_warm_up_without_the_checklist_loads_no_scanner() -> None:
    assert loaded("begin", scanners=False) == "True False"


def test_cancelled_warm_up_loads_nothing() -> None:
    assert loaded("cancel") == "False False"
