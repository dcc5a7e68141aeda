"""The CLI surface: version, tools as a model sees them, agents and skills listings, usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("shopfloor ")


def test_tools_json_is_exactly_what_a_model_receives() -> None:
    proc = cli("tools", "--json")
    assert proc.returncode == 0
    tools = {t["name"]: t for t in json.loads(proc.stdout)}
    assert {
        "Read",
        "Write",
        "Edit",
        "MultiEdit",
        "Glob",
        "Grep",
        "Bash",
        "BashOutput",
        "KillBash",
        "Skill",
    } <= set(tools)
    read = tools["Read"]["input_schema"]
    assert read["required"] == ["file_path"] and read["additionalProperties"] is False
    assert {"-i", "-n", "-A", "-B", "-C", "head_limit"} <= set(tools["Grep"]["input_schema"]["properties"])
    assert all(len(t["description"]) > 80 for t in tools.values())


def test_agents_lists_builtins_and_points_at_broken_files(tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "bad.md").write_text("---\nname: bad\n---\nno description\n")
    proc = cli("agents", "--json", "--dir", str(tmp_path))
    data = json.loads(proc.stdout)
    names = {a["name"] for a in data["agents"]}
    assert {"backend-agent", "frontend-agent", "qa-agent", "decomposition-agent", "research-agent",
            "general-purpose"} <= names  # fmt: skip
    [problem] = [p for p in data["problems"] if p["severity"] == "error"]
    assert problem["path"].endswith("bad.md") and problem["line"] >= 1
    assert proc.returncode == 1


def test_skills_lists_the_builtin_guides(tmp_path: Path) -> None:
    proc = cli("skills", "--json", "--dir", str(tmp_path))
    assert proc.returncode == 0
    names = {s["name"] for s in json.loads(proc.stdout)["skills"]}
    assert {"api_development", "database_designer", "backend_security"} <= names


def test_agent_run_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = cli("agent", "run", "backend-agent", "--task-id", "T-1", "--objective", "x",
                  "--workdir", str(tmp_path / "nope"))  # fmt: skip
    assert missing.returncode == 2 and "not a directory" in missing.stderr
    bad_model = cli("agent", "run", "backend-agent", "--task-id", "T-1", "--objective", "x",
                    "--workdir", str(tmp_path), "--model", "nonsense:thing")  # fmt: skip
    assert bad_model.returncode == 2 and "Traceback" not in bad_model.stderr
    no_agent = cli(
        "agent", "run", "nobody", "--task-id", "T-1", "--objective", "x", "--workdir", str(tmp_path)
    )
    assert no_agent.returncode == 2 and "no agent named 'nobody'" in no_agent.stderr


def test_run_without_prd_or_queue_explains_what_to_do(tmp_path: Path) -> None:
    proc = cli("run", cwd=tmp_path)
    assert proc.returncode == 2
    assert "PRD.md" in proc.stderr and "shopfloor init" in proc.stderr


def test_init_scaffolds_and_a_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    assert cli("init", "--dir", str(tmp_path)).returncode == 0
    assert (tmp_path / "PRD.md").is_file() and (tmp_path / "shopfloor.toml").is_file()
    (tmp_path / "shopfloor.toml").write_text("[run]\nparallel = 0\n")
    proc = cli("run", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2 and "shopfloor.toml" in proc.stderr and "parallel" in proc.stderr


def test_status_and_abort_with_no_run(tmp_path: Path) -> None:
    assert cli("status", cwd=tmp_path).returncode == 1
    assert cli("abort", cwd=tmp_path).returncode == 1


def test_dashboard_refuses_a_public_address_unless_asked(tmp_path: Path) -> None:
    proc = cli("dashboard", "--dir", str(tmp_path), "--host", "0.0.0.0")
    assert proc.returncode == 2
    assert "allow-remote" in proc.stderr


def test_status_shows_cache_use_and_what_caching_saved(tmp_path: Path) -> None:
    from shopfloor.models.base import Usage
    from shopfloor.orchestrator.store import Store

    with Store.for_project(tmp_path) as store:
        run = store.open_run(budget_usd=None)
        for task_id, saved in (("TASK-001", 0.0123), ("TASK-002", 0.0200)):
            store.upsert_task(run.id, task_id, status="completed")
            usage = Usage(cache_write_tokens=1_000, cache_read_tokens=20_000)
            store.add_usage(run.id, task_id, usage, 0.01, cache_saved_usd=saved)
        store.finish_run(run.id, "completed")
    plain = cli("status", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "cache: read 40,000 tokens, wrote 2,000; caching saved $0.0323" in plain.stdout
    report = json.loads(cli("status", "--json", cwd=tmp_path).stdout)
    assert report["cache"] == {
        "read_tokens": 40_000,
        "write_tokens": 2_000,
        "saved_usd": pytest.approx(0.0323),
    }
    assert [t["cache_saved_usd"] for t in report["tasks"]] == [0.0123, 0.02]


def test_help_screens_name_values_and_cut_nothing_at_80_columns(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}

    def help_of(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "shopfloor", *args, "--help"], capture_output=True, text=True, env=env
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    run = help_of("run")
    switches = [line for line in run.splitlines() if "--dry-run" in line or "--decompose" in line]
    assert switches and all("<bool>" not in line for line in switches)
    assert "--parallel" in run and " N " in run and "<int range>" not in run
    agent = help_of("agent", "run")
    assert "…" not in agent and "scripted:PATH" in agent
    listing = subprocess.run(
        [sys.executable, "-m", "shopfloor", "agents", "--dir", str(tmp_path)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert "decomposition-agent" in listing.stdout and "…" not in listing.stdout
