"""Fixtures shared by the whole suite."""

from __future__ import annotations

import compileall
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import shopfloor
from shopfloor.testing import FakeProvider
from shopfloor.tools.context import ToolContext
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.workspace import ReadState, Workspace


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile shopfloor once before the suite, as installing a package does. The suite starts `python -m
    shopfloor` hundreds of times; where the environment says not to write bytecode
    (PYTHONDONTWRITEBYTECODE), each of them would otherwise compile every module it imports again."""
    compileall.compile_dir(Path(shopfloor.__file__).parent, quiet=1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root.resolve()


@pytest.fixture
async def tool_ctx(workspace_dir: Path) -> AsyncIterator[ToolContext]:
    ws = Workspace(workspace_dir)
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws))
    yield ctx
    await ctx.shell.aclose()


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder that is not under /tmp, for what the sandbox must see as a real checkout is seen (the
    sandbox gives every command a /tmp of its own)."""
    root = Path(tempfile.mkdtemp(prefix="shopfloor-test-", dir="/var/tmp"))
    try:
        yield root.resolve()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """The fake model service on loopback, speaking the Anthropic and OpenAI wire formats."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def fake_provider_env(fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """The fake service, with ANTHROPIC_/OPENAI_ base URLs and keys pointing at it (for CLI tests)."""
    for name, value in fake_provider.env().items():
        monkeypatch.setenv(name, value)
    return fake_provider
