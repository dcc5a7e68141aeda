"""Without a working sandbox, `run` and `agent run` refuse agents that have Bash, naming the install
command and the explicit opt-out; `--no-sandbox` (or `[sandbox] enabled = false`) is that opt-out, and
`demo` explains the same. SHOPFLOOR_SANDBOX=off makes shopfloor behave as if bwrap did not work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.security.hostile import clean_env, finish, make_project, scripts, shopfloor

NO_BWRAP = clean_env(SHOPFLOOR_SANDBOX="off")


def assert_explains(stderr: str) -> None:
    assert "cannot be sandboxed here" in stderr
    assert "apt install bubblewrap" in stderr
    assert "--no-sandbox" in stderr and "[sandbox] enabled = false" in stderr
    assert "Traceback" not in stderr


def test_run_refuses_without_a_sandbox_and_runs_when_told_to_go_without(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    d = scripts(tmp_path, {"TASK-001": finish()})
    refused = shopfloor("run", "--model", f"scripted:{d}", cwd=project, env=NO_BWRAP)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert_explains(refused.stderr)
    assert not (project / "a.py").exists()
    done = shopfloor("run", "--no-sandbox", "--model", f"scripted:{d}", cwd=project, env=NO_BWRAP)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "a.py").is_file()


def test_dry_run_names_the_missing_sandbox_among_its_problems(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    d = scripts(tmp_path, {"TASK-001": finish()})
    planned = shopfloor("run", "--dry-run", "--model", f"scripted:{d}", cwd=project, env=NO_BWRAP)
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert_explains(planned.stderr)
    spec = f"scripted:{d}"
    fine = shopfloor("run", "--dry-run", "--no-sandbox", "--model", spec, cwd=project, env=NO_BWRAP)
    assert fine.returncode == 0, fine.stdout + fine.stderr


def test_the_config_key_is_the_same_opt_out(tmp_path: Path) -> None:
    toml = '[gate]\ncommands = ["true"]\nprove_tests = false\n[sandbox]\nenabled = false\n'
    project = make_project(tmp_path, toml)
    d = scripts(tmp_path, {"TASK-001": finish()})
    done = shopfloor("run", "--model", f"scripted:{d}", cwd=project, env=NO_BWRAP)
    assert done.returncode == 0, done.stdout + done.stderr


def agent_run(root: Path, agent: str, script: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", "agent", "run", agent, "--task-id", "TASK-001",
         "--objective", "Write a.py.", "--workdir", str(root), "--model", f"scripted:{script}", *extra],
        capture_output=True, text=True, timeout=120, env=NO_BWRAP,
    )  # fmt: skip


def test_agent_run_refuses_only_agents_that_have_bash(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "writer.md").write_text(
        "---\nname: writer\ndescription: Writes files.\ntools: Read, Write\n---\nWrite what is asked.\n"
    )
    script = scripts(tmp_path, {"TASK-001": finish()}) / "TASK-001.yaml"
    refused = agent_run(root, "backend-agent", script)
    assert refused.returncode == 2
    assert "backend-agent has Bash" in refused.stderr
    assert_explains(refused.stderr)
    assert not (root / "a.py").exists()
    assert agent_run(root, "writer", script).returncode == 0  # no Bash: nothing to confine
    assert agent_run(root, "backend-agent", script, "--no-sandbox").returncode == 0
    assert (root / "a.py").is_file()


def test_demo_explains_and_goes_on_with_its_own_scripted_agents(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "shopfloor", "demo", "--dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=NO_BWRAP,
    )  # fmt: skip
    try:
        seen = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            seen += line
            if "runs them unconfined this once" in line:
                break
    finally:
        proc.kill()
        proc.wait()
    assert "Note: agents' commands cannot be sandboxed here" in seen, seen
    assert "apt install bubblewrap" in seen and "--no-sandbox" in seen
