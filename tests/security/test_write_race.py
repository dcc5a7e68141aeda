"""Attack 6: a background job flips a folder to a symlink while Write and Edit work, to land a file
outside the workspace (the path was resolved, then opened). Files are now opened from a handle on the
workspace root, refusing a link at every step."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.tools.bash import BashTool, KillBashTool
from shopfloor.tools.beneath import Swapped, read_bytes, write_atomic
from shopfloor.tools.read import ReadTool
from shopfloor.tools.write import WriteTool
from tests.security.hostile import agent_ctx, bash, finish, make_project, scripts, shopfloor, tool
from tests.toolcall import call

pytestmark = pytest.mark.anyio


def flipper(outside: Path) -> str:
    """A shell loop that keeps turning `d` into a link to `outside` and back into a folder."""
    return f"while :; do rm -rf d; ln -s {outside} d; rm -f d; mkdir d; done"


def test_a_link_on_the_path_is_refused_however_late_it_appears(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    outside = tmp_path / "outside"
    (root / "d").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("outside\n")
    # The state a racing job produces between the check and the open: `d` is a link now.
    (root / "d").rmdir()
    (root / "d").symlink_to(outside)
    with pytest.raises(Swapped):
        write_atomic(root, Path("d/new.txt"), b"x")
    with pytest.raises(Swapped):
        read_bytes(root, Path("d/secret.txt"))
    (root / "f.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(Swapped):
        read_bytes(root, Path("f.txt"))
    with pytest.raises(Swapped):
        write_atomic(root, Path("f.txt"), b"replaced")
    assert (outside / "secret.txt").read_text() == "outside\n"
    assert list(outside.iterdir()) == [outside / "secret.txt"]


async def test_write_cannot_be_raced_out_of_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "d").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("untouched\n")
    ctx = agent_ctx(root)
    try:
        job = await call(BashTool(), ctx, command=flipper(outside), run_in_background=True)
        assert not job.is_error, job.content
        landed = 0
        for i in range(400):
            res = await call(WriteTool(), ctx, file_path=str(root / "d" / f"f{i}.txt"), content="x")
            landed += not res.is_error
            seen = await call(ReadTool(), ctx, file_path=str(root / "d" / "victim.txt"))
            assert "untouched" not in seen.content
        await call(KillBashTool(), ctx, shell_id="bash_1")
    finally:
        await ctx.shell.aclose()
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert (outside / "victim.txt").read_text() == "untouched\n"
    assert landed > 0  # the race really ran: writes went through whenever `d` was a folder


def test_a_racing_agent_in_a_run_writes_nothing_outside(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    writes = [tool("Write", file_path=f"{{workdir}}/d/f{i}.txt", content="x") for i in range(60)]
    hostile = [
        bash(f"mkdir -p d; {flipper(outside)}", run_in_background=True),
        *writes,
        tool("KillBash", shell_id="bash_1"),
        bash("rm -rf d"),
        *finish(),
    ]
    d = scripts(tmp_path, {"TASK-001": hostile})
    proc = shopfloor("run", "--model", f"scripted:{d}", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(outside.iterdir()) == []
