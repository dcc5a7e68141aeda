"""The dashboard's JSON API over a real state store, transcript, gate marker and git worktree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopfloor.dashboard import DashboardServer, serve_dashboard
from shopfloor.orchestrator.store import Store
from tests.dashboard.sample import SampleProject


def get(server: DashboardServer, path: str) -> Any:
    response = httpx.get(server.base_url + path, headers={"Authorization": f"Bearer {server.token}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_run_view_lists_every_task_with_its_state(server: DashboardServer, sample: SampleProject) -> None:
    view = get(server, "/api/run")

    assert view["run"]["id"] == sample.run_id
    assert view["run"]["status"] == "running"
    assert view["run"]["budget_usd"] == 5.0
    tasks = {t["task_id"]: t for t in view["tasks"]}
    assert list(tasks) == ["TASK-001", "TASK-002", "TASK-003"]
    done = tasks["TASK-001"]
    assert (done["status"], done["agent"], done["model"], done["attempt"]) == (
        "completed",
        "api-builder",
        "sonnet",
        1,
    )
    assert done["cost_usd"] == pytest.approx(0.0081)
    assert done["tokens"] == 1500
    assert done["elapsed_s"] is not None
    assert tasks["TASK-002"]["status"] == "in_progress"
    assert tasks["TASK-002"]["model"] == "opus"
    # Queued but never started: known from the task queue, with its dependencies.
    assert tasks["TASK-003"]["status"] == "pending"
    assert tasks["TASK-003"]["dependencies"] == ["TASK-002"]
    assert tasks["TASK-003"]["attempt"] == 0
    assert view["totals"]["cost_usd"] == pytest.approx(0.0081)
    assert view["totals"]["by_status"] == {"completed": 1, "in_progress": 1, "pending": 1}
    assert view["last_event_id"] > 0


def test_task_view_shows_attempts_gate_report_diff_and_transcript(
    server: DashboardServer, sample: SampleProject
) -> None:
    detail = get(server, "/api/tasks/TASK-001")

    assert [(a["n"], a["outcome"]) for a in detail["attempts"]] == [(1, "completed")]
    assert detail["attempts"][0]["transcript"] == str(sample.transcript)
    gate = detail["gate"]
    assert gate["verdict"] == "fail"
    assert gate["tree_hash"] == sample.tree_hash
    assert [(c["name"], c["exit_code"], c["passed"]) for c in gate["checks"]] == [
        ("pytest", 0, True),
        ("ruff", 1, False),
    ]
    assert [(f["file"], f["line"], f["severity"]) for f in gate["findings"]] == [("app/models.py", 7, "high")]
    assert detail["diff"]["branch"] == "shopfloor/TASK-001"
    assert "+class User:" in detail["diff"]["text"]
    assert "app/models.py" in detail["diff"]["stat"]
    kinds = [e["kind"] for e in detail["transcript"]["events"]]
    assert kinds == [
        "run_started",
        "model_called",
        "model_replied",
        "tool_called",
        "tool_answered",
        "notice",
        "run_finished",
    ]
    call = detail["transcript"]["events"][3]
    assert call["input"]["file_path"] == "app/models.py"
    assert detail["transcript"]["usage"]["input_tokens"] == 1200


def test_gate_report_falls_back_to_the_verdict_file(tmp_path: Path, sample: SampleProject) -> None:
    # A store without the gate_round event (an older run): the verdict file in the worktree still answers.
    with Store.for_project(sample.root) as store:
        run = store.open_run()
        store.upsert_task(run.id, "TASK-001", status="completed", worktree=str(sample.worktree))
    with serve_dashboard(sample.root, home=sample.home) as server:
        detail = get(server, "/api/tasks/TASK-001")
    assert detail["gate_source"] == "verdict"
    assert detail["gate"]["tree_hash"] == sample.tree_hash


def test_unknown_task_is_not_found(server: DashboardServer) -> None:
    response = httpx.get(
        server.base_url + "/api/tasks/TASK-999", headers={"Authorization": f"Bearer {server.token}"}
    )
    assert response.status_code == 404
    assert "TASK-999" in response.json()["detail"]


def test_agents_view_lists_agents_skills_and_file_problems(
    server: DashboardServer, sample: SampleProject
) -> None:
    view = get(server, "/api/agents")

    agents = {a["name"]: a for a in view["agents"]}
    assert agents["api-builder"]["origin"] == "project"
    assert agents["api-builder"]["tools"] == ["Read", "Write", "Bash"]
    assert "backend-agent" in agents  # built-ins are listed too
    assert "sql-review" in {s["name"] for s in view["skills"]}
    broken = [p for p in view["problems"] if p["path"].endswith("broken-agent.md")]
    assert len(broken) == 1
    assert broken[0]["line"] >= 1
    assert "description" in broken[0]["message"]


def test_series_accumulates_cost_and_tokens(server: DashboardServer, sample: SampleProject) -> None:
    with Store.for_project(sample.root) as store:
        from shopfloor.models.base import Usage

        store.add_usage(sample.run_id, "TASK-002", Usage(input_tokens=500), 0.002)
    series = get(server, "/api/series")

    assert [p["tokens"] for p in series["points"]] == [1500, 2000]
    assert series["points"][-1]["cost_usd"] == pytest.approx(0.0101)
    assert {b["task_id"]: b["tokens"] for b in series["per_task"]} == {"TASK-001": 1500, "TASK-002": 500}


@pytest.mark.parametrize(
    "path", ["/", "/api/run", "/api/tasks/TASK-001", "/api/agents", "/api/series", "/api/events"]
)
def test_requests_without_the_token_are_refused(server: DashboardServer, path: str) -> None:
    base = server.base_url + path
    assert httpx.get(base).status_code == 401
    assert httpx.get(base, params={"token": "not-the-token"}).status_code == 403
    assert httpx.get(base, headers={"Authorization": "Bearer not-the-token"}).status_code == 403


def test_page_loads_with_the_token_and_fetches_nothing_from_elsewhere(server: DashboardServer) -> None:
    response = httpx.get(server.url)

    assert response.status_code == 200
    html = response.text
    assert "<title>shopfloor dashboard</title>" in html
    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in html
    assert response.headers["referrer-policy"] == "no-referrer"
    # Every asset is inline: no script, stylesheet or image is loaded from a URL.
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+stylesheet[^>]+href=", html)
    assert "http://" not in html.replace('"http://www.w3.org/2000/svg"', "")


def test_project_without_state_shows_no_run_and_creates_nothing(tmp_path: Path) -> None:
    project = tmp_path / "empty"
    project.mkdir()
    with serve_dashboard(project, home=tmp_path / "home") as server:
        view = get(server, "/api/run")
    assert view["run"] is None
    assert view["tasks"] == []
    assert not (project / ".orchestrator").exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.com"])
def test_refuses_a_non_loopback_address_unless_allowed(tmp_path: Path, host: str) -> None:
    from shopfloor.dashboard import DashboardError

    with pytest.raises(DashboardError, match="allow_remote"):
        serve_dashboard(tmp_path, host=host)


def test_serves_every_address_when_remote_is_allowed(sample: SampleProject) -> None:
    with serve_dashboard(sample.root, host="0.0.0.0", allow_remote=True, home=sample.home) as server:
        assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token=")
        assert httpx.get(server.url).status_code == 200


def test_url_carries_a_fresh_random_token(sample: SampleProject) -> None:
    with (
        serve_dashboard(sample.root, home=sample.home) as one,
        serve_dashboard(sample.root, home=sample.home) as two,
    ):
        assert one.token != two.token
        assert len(one.token) >= 24
        assert one.url.endswith(f"?token={one.token}")
        assert httpx.get(one.base_url + "/api/run", params={"token": two.token}).status_code == 403


def test_importing_the_package_loads_no_web_stack() -> None:
    # The CLI may import shopfloor.dashboard eagerly; FastAPI and uvicorn load only when serving.
    code = "import sys, shopfloor.dashboard; print([m for m in ('fastapi', 'uvicorn') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_run_totals_and_task_bars_carry_cache_use_and_saving(
    server: DashboardServer, sample: SampleProject
) -> None:
    with Store.for_project(sample.root) as store:
        from shopfloor.models.base import Usage

        usage = Usage(cache_write_tokens=400, cache_read_tokens=3_600)
        store.add_usage(sample.run_id, "TASK-002", usage, 0.003, cache_saved_usd=0.0071)
    totals = get(server, "/api/run")["totals"]
    assert totals["cache_saved_usd"] == pytest.approx(0.0071)
    assert (totals["usage"]["cache_read_tokens"], totals["usage"]["cache_write_tokens"]) == (3_600, 400)
    bars = {b["task_id"]: b for b in get(server, "/api/series")["per_task"]}
    assert (bars["TASK-002"]["cache_read_tokens"], bars["TASK-002"]["cache_saved_usd"]) == (3_600, 0.0071)
