"""`shopfloor run --dry-run`: the plan a run would follow and every problem that would stop it, without
calling a model or writing anything."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_first_run import NO_KEYS, QUEUE, cli, git, one_line_error


def test_a_fresh_project_shows_its_decomposition_model_cost_and_missing_key(tmp_path: Path) -> None:
    (tmp_path / "PRD.md").write_text("# Notes app\nUsers keep notes.\n")
    proc = cli("run", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2
    out = proc.stdout
    assert "PRD.md: found (2 lines)" in out
    assert "decomposition-agent writes the task queue, on sonnet (anthropic:claude-sonnet" in out
    assert "estimated cost: $" in out
    assert "1 problem(s) would stop this run" in out and "ANTHROPIC_API_KEY is not set" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / ".git").exists()


def test_a_queue_with_another_provider_is_planned_and_priced_on_that_provider(tmp_path: Path) -> None:
    (tmp_path / ".orchestrator").mkdir()
    (tmp_path / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    (tmp_path / "shopfloor.toml").write_text('[gate]\ncommands = ["no-such-linter --check"]\n')
    proc = cli(
        "run", "--dry-run", "--model", "openai:gpt-4o", cwd=tmp_path, env={**NO_KEYS, "OPENAI_API_KEY": "k"}
    )
    out = proc.stdout
    assert "TASK-001" in out and "backend-agent" in out and "openai:gpt-4o" in out
    assert "anthropic" not in out and "sonnet" not in out  # no Anthropic model or price for this run
    assert "1 task(s) to run in 1 wave(s)" in out and "estimated cost: $" in out
    assert "custom: no-such-linter --check [config]" in out
    # The one problem: a check's program is not installed.
    assert proc.returncode == 2
    assert "no-such-linter (in 'no-such-linter --check') is not installed" in one_line_error(proc)


def test_a_ready_project_says_nothing_stops_it(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".orchestrator").mkdir()
    (tmp_path / ".orchestrator" / "task_queue.md").write_text(QUEUE)
    (tmp_path / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c pass"]\n')
    proc = cli("run", "--dry-run", cwd=tmp_path, env={**NO_KEYS, "ANTHROPIC_API_KEY": "k"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Nothing stops this run" in proc.stdout and "sonnet (anthropic:claude-sonnet" in proc.stdout
