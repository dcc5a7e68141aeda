"""Attacks 7 and 10: secrets. The environment an agent's commands see is an allowlist; whatever a command
still digs up (shopfloor's own environment through /proc with the sandbox off, an external agent's
output) is redacted from everything recorded or sent; home-directory secrets, shell history and
/etc/shadow are hidden from Bash as the file tools refuse them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.config.sections import SandboxSettings
from shopfloor.dashboard.data import DashboardData
from shopfloor.testing import FakeProvider, route_by_task
from shopfloor.tools.bash import BashTool
from shopfloor.tools.read import ReadTool
from tests.security.hostile import (
    MARKER,
    agent_ctx,
    bash,
    clean_env,
    everything_recorded,
    make_project,
    shopfloor,
    tool,
    tool_answers,
)
from tests.toolcall import call

pytestmark = pytest.mark.anyio

PROVIDER_KEY = "sk-ant-api03-" + "k7" * 24
SECRETS = {
    "DATABASE_URL": "postgres://app:Sup3rS3cretPw@db.internal/app",
    "AWS_ACCESS_KEY_ID": "AKIAZQ3DEXAMPLE7Q2ZZ",
    "GITHUB_PAT": "github_pat_11ABCDEFG0" + "x" * 40,
    "OPENAI_KEY": "openai-value-0123456789abcdef",
    "ANTHROPIC_API_KEY_OLD": "sk-ant-old-0123456789abcdef0123",
}


async def test_commands_see_an_allowlist_not_the_user_s_secrets(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ANTHROPIC_API_KEY", PROVIDER_KEY)
    monkeypatch.setenv("MYAPP_MODE", "demo-mode")
    ctx = agent_ctx(workspace_dir, SandboxSettings(env=["MYAPP_*"]))
    try:
        res = await call(BashTool(), ctx, command="env; cat /proc/1/environ /proc/$PPID/environ 2>/dev/null")
    finally:
        await ctx.shell.aclose()
    for name in [*SECRETS, "ANTHROPIC_API_KEY"]:
        assert f"{name}=" not in res.content, name
    for value in [*SECRETS.values(), PROVIDER_KEY]:
        assert value not in res.content
    assert "MYAPP_MODE=demo-mode" in res.content and "PATH=" in res.content


def test_secrets_dug_up_without_the_sandbox_never_reach_a_record_or_the_provider(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    steal = "tr '\\0' '\\n' < /proc/$PPID/environ; echo; env"
    turns = [
        bash(steal),
        tool("Write", file_path="{workdir}/a.py", content="A = 1\n"),
        tool("Write", file_path=MARKER, content="done"),
        "Done.",
    ]
    with FakeProvider(responder=route_by_task({"TASK-001": turns})) as fake:
        env = clean_env(**fake.env(api_key=PROVIDER_KEY), **SECRETS)
        model = "anthropic:claude-sonnet-4-5"
        proc = shopfloor("run", "--no-sandbox", "--model", model, cwd=project, env=env)
        sent = json.dumps([c.body for c in fake.calls])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (stolen,) = tool_answers(project, "TASK-001")
    assert "[REDACTED:ANTHROPIC_API_KEY]" in stolen and "[REDACTED:DATABASE_URL]" in stolen
    data = DashboardData(project)
    try:
        dashboard = repr(data.run_view()) + repr(data.task("TASK-001"))
    finally:
        data.close()
    recorded = everything_recorded(project)
    for value in [*SECRETS.values(), PROVIDER_KEY]:
        assert value not in recorded, value
        assert value not in sent, value
        assert value not in dashboard, value
        assert value not in proc.stdout + proc.stderr, value
    assert "[REDACTED:ANTHROPIC_API_KEY]" in sent  # the model saw that something was there, not what


EXTERNAL = """---
name: ext-agent
description: An external program.
command: echo "key=$ANTHROPIC_API_KEY"; tr '\\0' '\\n' < /proc/$PPID/environ
---
Runs a program.
"""


def test_an_external_agent_s_output_is_redacted(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / ".claude" / "agents").mkdir(parents=True)
    (root / ".claude" / "agents" / "ext-agent.md").write_text(EXTERNAL)
    env = clean_env(ANTHROPIC_API_KEY=PROVIDER_KEY, **SECRETS)
    proc = subprocess.run(
        [sys.executable, "-m", "shopfloor", "agent", "run", "ext-agent", "--task-id", "TASK-001",
         "--objective", "Do it.", "--workdir", str(root), "--json"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr  # it wrote no marker
    transcript = Path(json.loads(proc.stdout)["transcript"]).read_text()
    assert "key=[REDACTED:ANTHROPIC_API_KEY]" in transcript
    for value in [*SECRETS.values(), PROVIDER_KEY]:
        assert value not in transcript and value not in proc.stdout


async def test_home_secrets_history_and_shadow_are_hidden_from_bash(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A home inside the workspace: the sandbox can see it, so hiding is what keeps the secrets out.
    home = workspace_dir / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE-KEY-MATERIAL\n")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("aws_secret=AWS-SECRET-MATERIAL\n")
    (home / ".bash_history").write_text("mysql -p HISTORY-SECRET\n")
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text("oauth_token: GH-SECRET-MATERIAL\n")
    (home / "notes.txt").write_text("ordinary file\n")
    (home / ".gnupg").mkdir()  # empty: nothing to read, but nothing may be planted there either
    monkeypatch.setenv("HOME", str(home))
    ctx = agent_ctx(workspace_dir)
    try:
        res = await call(
            BashTool(),
            ctx,
            command="cat ~/.ssh/id_ed25519 ~/.aws/credentials ~/.bash_history ~/.config/gh/hosts.yml "
            "/etc/shadow ~/notes.txt 2>&1; ls -A ~/.ssh ~/.aws; echo planted > ~/.gnupg/gpg.conf",
        )
        read = await call(ReadTool(), ctx, file_path=str(home / ".ssh" / "id_ed25519"))
    finally:
        await ctx.shell.aclose()
    for secret in ("PRIVATE-KEY-MATERIAL", "AWS-SECRET-MATERIAL", "HISTORY-SECRET", "GH-SECRET-MATERIAL"):
        assert secret not in res.content, secret
    assert "root:" not in res.content  # /etc/shadow's lines, readable to a root process outside
    assert "ordinary file" in res.content  # the rest of the home stays as it was
    assert read.is_error and "credentials" in read.content
    assert (home / ".ssh" / "id_ed25519").read_text() == "PRIVATE-KEY-MATERIAL\n"
    assert list((home / ".gnupg").iterdir()) == []


def test_a_secret_set_while_running_is_redacted_from_then_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from shopfloor.tools.redact import redact

    value = "svc-0123456789abcdefXYZ"
    assert redact(f"said {value}") == f"said {value}"  # not yet a secret of this process
    monkeypatch.setenv("BILLING_SERVICE_TOKEN", value)
    assert redact(f"said {value}") == "said [REDACTED:BILLING_SERVICE_TOKEN]"
    monkeypatch.setenv("BILLING_SERVICE_TOKEN", "svc-another-value-9876543210")
    assert redact(f"said {value}") == f"said {value}"  # the old value is no secret any more
