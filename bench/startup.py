"""How long a scripted `shopfloor agent run` takes from the command line, start to exit.

The built-in backend-agent works a two-turn script (write the marker, then a closing text) in a fresh
git repository, as its own process, the way other programs call it. Each run's wall time is taken
around the whole process; the figure is the median (and the fastest, which a busy machine disturbs
least), with the CPU time it used, which a busy machine stretches less. For reference: a bare
`python -c pass`, and whether the run imported a provider SDK.

Run from the repository root:  .venv/bin/python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """\
- tool: Write
  input: {file_path: "{workdir}/.orchestrator/complete/{task_id}.done", content: done}
- Done.
"""


def project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "README.md").write_text("# demo\n", encoding="utf-8")
    (root / "turns.yaml").write_text(SCRIPT, encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=root, check=True)
    return root


# An installed package carries its bytecode; a checkout whose environment forbids writing it would
# compile every module on every run and time that instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process and its children (git, the sandbox probe)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=ENV, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = project(Path(tmp) / "demo")
        cli = [sys.executable, "-m", "shopfloor", "agent", "run", "backend-agent", "--objective", "demo"]
        runs, cpu, bare = [], [], []
        for i in range(args.runs + 1):  # the first run fills caches (bytecode, git) and is not counted
            took, used = timed([*cli, "--task-id", f"T-{i}", "--model", "scripted:turns.yaml"], root)
            bare_took, _ = timed([sys.executable, "-c", "pass"], root)
            if i:
                runs.append(took)
                cpu.append(used)
                bare.append(bare_took)
        probe = subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                *cli[1:],
                "--task-id",
                "T-probe",
                "--model",
                "scripted:turns.yaml",
            ],
            cwd=root,
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        )
    sdks = sorted(
        {m for m in ("anthropic", "openai") if f" {m}\n" in probe.stderr or f" {m}." in probe.stderr}
    )
    ms = 1000.0
    print(
        f"scripted `agent run`, {args.runs} runs: median {statistics.median(runs) * ms:.0f} ms, "
        f"fastest {min(runs) * ms:.0f} ms"
    )
    print(f"CPU time (process and children): median {statistics.median(cpu) * ms:.0f} ms")
    print(f"bare `python -c pass`: median {statistics.median(bare) * ms:.0f} ms")
    print(f"provider SDKs imported: {', '.join(sdks) or 'none'}")
    print(f"target median < 500 ms: {'met' if statistics.median(runs) < 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
