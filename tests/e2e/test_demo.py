"""`shopfloor demo` runs the whole pipeline with the scripted model, and the result holds up on its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_demo_runs_end_to_end_and_the_final_tree_passes_its_tests_and_the_gate(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    env_path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor", "demo", "--dir", str(target)],
        capture_output=True, text=True, timeout=1200, env={"PATH": env_path, "HOME": str(tmp_path)},
    )  # fmt: skip
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert out.startswith("This demo uses a scripted model")
    assert out.rstrip().splitlines()[-2].startswith("This demo uses a scripted model")
    assert "no LLM is called" in out
    assert "TASK-003: completed" in out
    assert "gate failed TASK-003 once" in out and "1 failed" in out
    assert "would have cost at list prices" in out
    # Every task's work is merged into the checked-out branch.
    for rel in ("app/auth.py", "app/tasks.py", "app/audit.py"):
        assert (target / rel).is_file(), rel
    tasks_py = (target / "app" / "tasks.py").read_text()
    assert 'f"SELECT' not in tasks_py
    # The example declared its environment: the checkout and every task's worktree got their own .venv,
    # the first by installing, the others as copies of it.
    assert "Environment: pip in .; setup ([env] setup)" in out
    for task in ("TASK-001", "TASK-005"):
        log = (target / ".orchestrator" / "env" / f"{task}.log").read_text()
        assert "restored .venv from the cache" in log, log
    # The example's own tests pass on the final tree in its own environment, and so does shopfloor's gate.
    tests = subprocess.run(
        [str(target / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=target, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-2000:]
    verify = subprocess.run(
        [sys.executable, "-m", "shopfloor", "verify", "--dir", str(target)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout[-2000:]
    assert "verdict: pass" in verify.stdout


def test_ctrl_c_stops_the_demo_without_a_final_verification_and_says_how_to_go_on(tmp_path: Path) -> None:
    import signal
    import time

    target = tmp_path / "demo"
    env_path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err:
        demo = subprocess.Popen(
            [sys.executable, "-m", "shopfloor", "demo", "--dir", str(target)],
            stdout=subprocess.PIPE, stderr=err, text=True, env={"PATH": env_path, "HOME": str(tmp_path)},
        )  # fmt: skip
        try:
            for _ in range(1200):  # until the first gate round starts: the phase is said as it starts
                if "gate: running" in err_path.read_text() or demo.poll() is not None:
                    break
                time.sleep(0.1)
            demo.send_signal(signal.SIGINT)
            out, _ = demo.communicate(timeout=120)
        finally:
            demo.kill()
    said = err_path.read_text()
    assert "gate: running the project's checks" in said
    assert demo.returncode == 1, out + said
    assert "Final verification" not in out
    assert f"The demo stopped. What it did so far is in {target}" in said
    assert "Traceback" not in out + said
