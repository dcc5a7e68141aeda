"""Path confinement and read-state, the rules every file tool stands on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shopfloor.tools.base import ToolError
from shopfloor.tools.protected import secret_paths_within
from shopfloor.tools.workspace import ReadState, Workspace


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the workspace, holding a file nobody may reach through the tools."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_text("outside content\n")
    return d.resolve()


def test_relative_and_absolute_paths_resolve_inside(workspace_dir: Path) -> None:
    ws = Workspace(workspace_dir)
    (workspace_dir / "src").mkdir()
    assert ws.resolve("src/app.py") == workspace_dir / "src" / "app.py"
    assert ws.resolve(str(workspace_dir / "src" / "app.py")) == workspace_dir / "src" / "app.py"
    assert ws.resolve("src/../README.md") == workspace_dir / "README.md"
    assert ws.resolve(str(workspace_dir)) == workspace_dir


@pytest.mark.parametrize("raw", ["../outside/secret.txt", "src/../../outside/secret.txt"])
def test_dotdot_escape_is_refused(workspace_dir: Path, outside: Path, raw: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        Workspace(workspace_dir).resolve(raw)


def test_absolute_path_outside_is_refused(workspace_dir: Path, outside: Path) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        Workspace(workspace_dir).resolve(str(outside / "secret.txt"))
    with pytest.raises(ToolError, match="outside the workspace"):
        Workspace(workspace_dir).resolve("/etc/passwd")


def test_symlinks_leading_outside_are_refused(workspace_dir: Path, outside: Path) -> None:
    (workspace_dir / "link.txt").symlink_to(outside / "secret.txt")
    (workspace_dir / "linkdir").symlink_to(outside)
    (workspace_dir / "dangling").symlink_to(outside / "not-yet-there.txt")
    ws = Workspace(workspace_dir)
    for raw in ("link.txt", "linkdir/secret.txt", "linkdir", "linkdir/new.txt", "dangling"):
        with pytest.raises(ToolError, match="resolves to"):
            ws.resolve(raw)


def test_symlink_inside_the_workspace_resolves_to_its_target(workspace_dir: Path) -> None:
    (workspace_dir / "real.txt").write_text("x")
    (workspace_dir / "alias.txt").symlink_to(workspace_dir / "real.txt")
    assert Workspace(workspace_dir).resolve("alias.txt") == workspace_dir / "real.txt"


def test_extra_dirs_are_allowed(workspace_dir: Path, outside: Path) -> None:
    ws = Workspace(workspace_dir, extra_dirs=[outside])
    assert ws.resolve(str(outside / "secret.txt")) == outside / "secret.txt"


def test_symlink_loop_is_an_error_not_a_crash(workspace_dir: Path) -> None:
    (workspace_dir / "a").symlink_to(workspace_dir / "b")
    (workspace_dir / "b").symlink_to(workspace_dir / "a")
    with pytest.raises(ToolError):
        Workspace(workspace_dir).resolve("a")


@pytest.mark.parametrize("raw", ["", "   ", "a\x00b"])
def test_empty_or_nul_paths_are_refused(workspace_dir: Path, raw: str) -> None:
    with pytest.raises(ToolError):
        Workspace(workspace_dir).resolve(raw)


def test_secrets_are_refused_even_when_the_workspace_is_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE")
    (home / ".aws").mkdir()
    (home / ".netrc").write_text("machine x password y")
    (home / "project").mkdir()
    monkeypatch.setenv("HOME", str(home))
    ws = Workspace(home)
    for raw in ("~/.ssh/id_ed25519", str(home / ".ssh"), ".aws/credentials", ".netrc"):
        with pytest.raises(ToolError, match="credentials"):
            ws.resolve(raw)
    assert ws.resolve("project/app.py") == home.resolve() / "project" / "app.py"
    assert ws.resolve(".netrc-notes") == home.resolve() / ".netrc-notes"
    assert home.resolve() / ".ssh" in secret_paths_within(home.resolve())
    assert secret_paths_within(home.resolve() / "project") == []


def test_link_into_a_secret_store_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE")
    monkeypatch.setenv("HOME", str(home))
    (home / "keys").symlink_to(home / ".ssh")
    with pytest.raises(ToolError, match="credentials"):
        Workspace(home).resolve("keys/id_rsa")


def test_read_state_requires_a_full_read(workspace_dir: Path) -> None:
    f = workspace_dir / "a.txt"
    f.write_bytes(b"one\n")
    state = ReadState()
    with pytest.raises(ToolError, match="has not been read yet"):
        state.check_fresh(f, b"one\n")
    state.record(f, b"one\n", full=False)
    with pytest.raises(ToolError, match="only part"):
        state.check_fresh(f, b"one\n")
    state.record(f, b"one\n", full=True)
    state.check_fresh(f, b"one\n")
    state.forget(f)
    assert state.get(f) is None


def test_partial_read_after_full_read_keeps_the_permission(workspace_dir: Path) -> None:
    f = workspace_dir / "a.txt"
    f.write_bytes(b"one\ntwo\n")
    state = ReadState()
    state.record(f, b"one\ntwo\n", full=True)
    state.record(f, b"one\ntwo\n", full=False)
    state.check_fresh(f, b"one\ntwo\n")
    stamp = state.get(f)
    assert stamp is not None and stamp.full


def test_changed_content_is_refused_but_a_touch_is_not(workspace_dir: Path) -> None:
    f = workspace_dir / "a.txt"
    f.write_bytes(b"one\n")
    state = ReadState()
    state.record(f, b"one\n", full=True)
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    state.check_fresh(f, b"one\n")
    f.write_bytes(b"two\n")
    with pytest.raises(ToolError, match="changed on disk"):
        state.check_fresh(f, b"two\n")
