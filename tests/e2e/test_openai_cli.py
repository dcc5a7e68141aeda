"""`shopfloor agent run` against an OpenAI-compatible server (as Ollama, vLLM or llama.cpp serve it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shopfloor.testing import FakeProvider


def run(fake: FakeProvider, workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update(fake.env())
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", "agent", "run", "general-purpose", "--task-id", "TASK-002",
         "--objective", "Create hello.txt.", "--workdir", str(workdir), "--model", "openai:fake-model",
         "--json", *extra],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def test_local_openai_compatible_model_does_a_task(tmp_path: Path) -> None:
    marker = "{workdir}/.orchestrator/complete/{task_id}.done"
    turns = [
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "{workdir}/hello.txt", "content": "hi\n"}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": marker, "content": "done"}}]},
        "Done.",
    ]
    with FakeProvider(turns, context_window=200_000) as fake:
        proc = run(fake, tmp_path)
        paths = [r.path for r in fake.requests]
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outcome"] == "completed"
    assert (tmp_path / "hello.txt").read_text() == "hi\n"
    assert any(p.endswith("/chat/completions") for p in paths)


def test_server_whose_context_cannot_hold_the_prompt_is_refused_clearly(tmp_path: Path) -> None:
    with FakeProvider(["never"], context_window=1024) as fake:
        proc = run(fake, tmp_path)
        calls = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    assert proc.returncode == 2
    assert "context" in proc.stderr.lower() and "1024" in proc.stderr
    assert calls == []


def test_a_refused_connection_names_the_url_and_is_not_retried(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update(OPENAI_BASE_URL=url, OPENAI_API_KEY="sk-local")
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor", "agent", "run", "general-purpose", "--task-id", "TASK-002",
         "--objective", "Create hello.txt.", "--workdir", str(tmp_path), "--model", "openai:fake-model"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    said = proc.stdout + proc.stderr
    assert proc.returncode == 1, said
    assert f"server at {url} refused the connection" in said and "OPENAI_BASE_URL" in said
    assert "still failing after" not in said  # given up on at once, not after minutes of retries
    assert "Traceback" not in said
