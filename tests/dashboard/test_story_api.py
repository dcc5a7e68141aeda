"""The API tells a run's story: every gate round kept, the task's history, earlier runs, the timeline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shopfloor.dashboard import DashboardServer
from tests.dashboard.story import MUTATION, StoryProject


def get(server: DashboardServer, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {server.token}"}
    response = httpx.get(server.base_url + path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_gate_round_is_kept_and_the_history_tells_the_retry(story_server: DashboardServer) -> None:
    detail = get(story_server, "/api/tasks/TASK-001")

    rounds = detail["gate_rounds"]
    assert [(r["round"], r["report"]["verdict"]) for r in rounds] == [(1, "fail"), (2, "pass")]
    assert rounds[0]["report"]["findings"][0]["rule_id"] == "sql-injection"
    assert rounds[0]["file"] == ".orchestrator/reports/TASK-001/gate-1.json"
    assert detail["gate"]["verdict"] == "pass"  # the newest round
    steps = [(s["kind"], s["status"]) for s in detail["history"]]
    assert steps == [
        ("started", None),
        ("attempt", None),
        ("session", "completed"),
        ("gate", "fail"),
        ("session", "completed"),
        ("gate", "pass"),
        ("attempt_ended", "verified"),
        ("merged", None),
        ("ended", "completed"),
    ]
    first, second = (s for s in detail["history"] if s["kind"] == "session")
    assert (first["session"], first["prompt"], first["turns"]) == (1, "task", 2)
    assert (second["session"], second["prompt"], second["turns"]) == (2, "gate_feedback", 1)
    assert second["message"].startswith("VERIFICATION GATE: FAIL")
    assert second["cost_usd"] == pytest.approx(0.01)  # the difference of the cumulative totals
    gate = next(s for s in detail["history"] if s["kind"] == "gate")
    assert "1 high" in gate["detail"] and "sql-injection" in gate["detail"]
    merged = next(s for s in detail["history"] if s["kind"] == "merged")
    assert merged["commit"].startswith("c0ffee")


def test_the_mutation_check_shows_in_its_round_and_a_foreign_shape_does_not_lose_the_round(
    story_server: DashboardServer, story: StoryProject
) -> None:
    from shopfloor.orchestrator.store import Store

    detail = get(story_server, "/api/tasks/TASK-001")
    rounds = detail["gate_rounds"]
    assert rounds[0]["report"]["mutation"] is None
    assert rounds[1]["report"]["mutation"]["score"] == MUTATION.score
    assert rounds[1]["mutation"] is None  # read by the report's own type
    gate = [s for s in detail["history"] if s["kind"] == "gate"][1]
    assert "mutation score 80% (10 mutants)" in gate["detail"]
    # A mutation section this gate does not know (another version's) is kept as it came.
    foreign = {"score": 0.5, "mutants_total": 4}
    payload = rounds[1] | {"round": 3, "report": rounds[1]["report"] | {"mutation": foreign}}
    with Store.for_project(story.root) as store:
        store.record_event(story.run_id, "gate_round", payload, task_id="TASK-001")
    third = get(story_server, "/api/tasks/TASK-001")["gate_rounds"][2]
    assert (third["round"], third["report"]["mutation"], third["mutation"]) == (3, None, foreign)


def test_board_rows_count_gate_rounds_and_say_why_a_task_is_blocked(story_server: DashboardServer) -> None:
    view = get(story_server, "/api/run")

    rows = {r["task_id"]: r for r in view["tasks"]}
    assert (rows["TASK-001"]["gate_rounds"], rows["TASK-001"]["gate_failures"]) == (2, 1)
    assert rows["TASK-001"]["title"] == "Add `GET /tasks` with paging"  # from the objective
    assert rows["TASK-003"]["status"] == "blocked"
    assert rows["TASK-003"]["last_error"] == "dependency TASK-002 did not complete"
    assert rows["decomposition"]["planning"] is True
    # Planning runs cost money but are not tasks of the queue.
    assert view["totals"]["tasks"] == 3
    assert view["totals"]["by_status"] == {"completed": 1, "failed": 1, "blocked": 1}
    assert view["run"]["scripted"] is False


def test_runs_lists_every_run_and_an_earlier_one_can_be_viewed(
    story_server: DashboardServer, story: StoryProject
) -> None:
    runs = get(story_server, "/api/runs")
    assert [r["id"] for r in runs["runs"]] == [story.run_id, story.earlier_run]
    assert runs["latest_run_id"] == story.run_id
    latest = runs["runs"][0]
    assert latest["status"] == "failed" and latest["tasks"] == 3
    assert latest["by_status"] == {"completed": 1, "failed": 1, "blocked": 1}
    assert latest["cost_usd"] == pytest.approx(0.004 + 0.06 + 0.01)

    earlier = get(story_server, "/api/run", run_id=story.earlier_run)
    assert earlier["run"]["id"] == story.earlier_run
    assert earlier["latest_run_id"] == story.run_id
    # An earlier run shows what it ran, not the queue's other tasks.
    assert [r["task_id"] for r in earlier["tasks"]] == ["TASK-001"]
    assert earlier["tasks"][0]["title"] == "Add `GET /tasks` with paging"  # the queue still describes it
    assert get(story_server, "/api/tasks/TASK-001", run_id=story.earlier_run)["gate_rounds"] == []


def test_timeline_splits_each_task_into_its_phases(story_server: DashboardServer) -> None:
    timeline = get(story_server, "/api/timeline")

    rows = {r["task_id"]: r for r in timeline["rows"]}
    assert list(rows) == ["decomposition", "TASK-001", "TASK-002"]  # TASK-003 never ran
    assert [s["phase"] for s in rows["decomposition"]["spans"]] == ["planning"]
    assert [s["phase"] for s in rows["TASK-001"]["spans"]] == [
        "setup",
        "agent",
        "gate",
        "retry",
        "gate",
        "merge",
    ]
    assert [s["phase"] for s in rows["TASK-002"]["spans"]] == ["setup", "agent", "gate"]
    # Each model call's cost lands in the phase it was made in.
    spent = {s["phase"]: s["cost_usd"] for s in rows["TASK-001"]["spans"] if s["cost_usd"]}
    assert spent == pytest.approx({"agent": 0.05, "retry": 0.01})
    assert timeline["critical_path"][0] == "decomposition"
    assert timeline["timed"] is True
    assert {t["phase"] for t in timeline["totals"]} >= {"planning", "agent", "gate", "retry", "merge"}


def test_the_cookie_set_with_the_token_lets_the_page_reload_without_it(story_server: DashboardServer) -> None:
    with httpx.Client(base_url=story_server.base_url) as client:
        assert client.get("/").status_code == 401
        first = client.get("/", params={"token": story_server.token})
        assert first.status_code == 200
        cookie = first.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        # The address without the token: the cookie answers for it, on the page and the API alike.
        assert client.get("/").status_code == 200
        assert client.get("/api/run").status_code == 200
    assert httpx.get(story_server.base_url + "/api/run", cookies={"shopfloor-x": "y"}).status_code == 401


def test_a_page_opened_without_the_token_is_a_page_saying_so(story_server: DashboardServer) -> None:
    refused = httpx.get(story_server.base_url + "/")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("text/html")
    assert "needs its access token" in refused.text and "shopfloor dashboard" in refused.text
    wrong = httpx.get(story_server.base_url + "/", params={"token": "<script>x</script>"})
    assert wrong.status_code == 403 and "<script>" not in wrong.text
    # The API still answers in JSON.
    assert httpx.get(story_server.base_url + "/api/run").json()["detail"].startswith("this dashboard")


def test_rows_and_timeline_follow_events_recorded_after_the_first_look(
    story_server: DashboardServer, story: StoryProject
) -> None:
    from shopfloor.orchestrator.events import TaskPhase
    from shopfloor.orchestrator.store import Store

    before = {r["task_id"]: r for r in get(story_server, "/api/run")["tasks"]}
    assert before["TASK-002"]["gate_rounds"] == 1
    get(story_server, "/api/timeline")
    with Store.for_project(story.root) as store:  # the dashboard read up to here; more arrives
        payload = get(story_server, "/api/tasks/TASK-002")["gate_rounds"][0]
        store.record_event(story.run_id, "gate_round", payload | {"round": 2}, task_id="TASK-002")
        phase = TaskPhase(task_id="TASK-002", phase="merge", attempt=1)
        store.record_event(story.run_id, "task_phase", phase, task_id="TASK-002")
    after = {r["task_id"]: r for r in get(story_server, "/api/run")["tasks"]}
    assert (after["TASK-002"]["gate_rounds"], after["TASK-002"]["gate_failures"]) == (2, 2)
    rows = {r["task_id"]: r for r in get(story_server, "/api/timeline")["rows"]}
    assert rows["TASK-002"]["spans"][-1]["phase"] == "merge"


def test_a_long_transcript_keeps_its_newest_events_and_numbers_sessions_as_the_history_does(
    story_server: DashboardServer, story: StoryProject
) -> None:
    from shopfloor.agent.events import Notice, UserMessage
    from shopfloor.dashboard.task_view import MAX_TRANSCRIPT_EVENTS
    from shopfloor.orchestrator.store import Store
    from tests.dashboard.story import FEEDBACK, Teller, finished, started

    tid = "TASK-002"
    with Store.for_project(story.root) as store:
        tell = Teller(story.root, store, story.run_id)
        tell(started(tid, story.root), UserMessage(task_id=tid, text="OBJECTIVE: again"))
        tell(*[Notice(task_id=tid, message=f"step {n}") for n in range(MAX_TRANSCRIPT_EVENTS)])
        tell(finished(tid, 1, 0.0), UserMessage(task_id=tid, text=FEEDBACK), finished(tid, 2, 0.0))
        tell.close()
    detail = get(story_server, f"/api/tasks/{tid}")
    transcript = detail["transcript"]
    assert transcript["total"] > MAX_TRANSCRIPT_EVENTS == len(transcript["events"])
    # TASK-002's first session and the long one began in the events left out; the feedback opened the third.
    assert transcript["sessions_before"] == 2
    sessions = [s["session"] for s in detail["history"] if s["kind"] == "session"]
    assert sessions == [1, 2, 3]
