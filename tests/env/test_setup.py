"""Setting up a tree's environment for real (local commands, no network): the log, the cache and its
relocation, what is kept out of git, files copied in, failures that say what to do, services."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from shopfloor.config.sections import EnvSettings, ServiceSettings
from shopfloor.env import EnvBroken, Environments
from shopfloor.env.cache import relocate
from tests.env.runs import git

# A real virtualenv with what installers leave in it: a script whose header names the venv, and a .pth
# file naming the tree (an editable install).
MAKE_VENV = (
    "python3 -m venv --without-pip .venv"
    " && printf '#!%s/.venv/bin/python\\nimport app; print(app.WHERE)\\n' \"$PWD\" > .venv/bin/where"
    " && chmod +x .venv/bin/where"
    ' && echo "$PWD/src" > $(echo .venv/lib/python3*/site-packages)/_app.pth'
    " && echo plain > .venv/plain.txt"
)


def repo(path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git(path, "init", "-q", "-b", "main")
    (path / ".git" / "info" / "exclude").write_text("/.orchestrator/\n")  # as shopfloor's own repos have
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "init")
    return path


def project(tmp_path: Path, name: str = "proj") -> Path:
    return repo(
        tmp_path / name, {"requirements.txt": "# nothing yet\n", "src/app.py": "WHERE = 'the tree'\n"}
    )


@pytest.mark.anyio
async def test_setup_runs_once_and_a_tree_with_the_same_lockfiles_gets_a_relocated_copy(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    envs = Environments(root, EnvSettings(setup=[MAKE_VENV]))
    first = await envs.prepare("TASK-1", root)
    assert first.source == "setup"
    log = (root / ".orchestrator" / "env" / "TASK-1.log").read_text()
    assert f"$ {MAKE_VENV}" in log and "-> exit 0" in log

    other = tmp_path / "other"
    git(root, "worktree", "add", "-q", str(other), "-b", "t2")
    second = await envs.prepare("TASK-2", other)
    assert second.source == "cache" and second.key == first.key
    assert "restored .venv from the cache" in (root / ".orchestrator" / "env" / "TASK-2.log").read_text()
    # The copy names its own tree: the script's header and the editable path both moved with it.
    ran = subprocess.run([str(other / ".venv" / "bin" / "where")], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "the tree"
    header = (other / ".venv" / "bin" / "where").read_text().splitlines()[0]
    assert header == f"#!{other}/.venv/bin/python"
    assert (root / ".venv" / "bin" / "where").read_text().splitlines()[0] == f"#!{root}/.venv/bin/python"
    pth = next((other / ".venv" / "lib").glob("python3*/site-packages/_app.pth"))
    assert pth.read_text().strip() == f"{other}/src"
    # Files nothing had to rewrite are hard links into the cache, not copies.
    assert (other / ".venv" / "plain.txt").stat().st_ino == (root / ".venv" / "plain.txt").stat().st_ino
    # A retry in the same tree keeps what is there.
    again = await envs.prepare("TASK-2", other)
    assert again.source == "kept"
    # The installed folder is kept out of git even though the project does not ignore it.
    assert ".venv" not in git(other, "status", "--porcelain")


def test_relocation_rewrites_whole_paths_only(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    script = venv / "bin" / "tool"
    script.write_text("#!/w/TASK-1/.venv/bin/python\n# see /w/TASK-10/x and /w/TASK-1\n")
    linked = tmp_path / "cached-tool"
    os.link(script, linked)
    assert relocate(venv, "/w/TASK-1", "/w/TASK-2") == 1
    assert script.read_text() == "#!/w/TASK-2/.venv/bin/python\n# see /w/TASK-10/x and /w/TASK-2\n"
    assert linked.read_text().startswith("#!/w/TASK-1/")  # the cached file is left as it was


@pytest.mark.anyio
async def test_a_failing_step_says_which_and_where_its_log_is(tmp_path: Path) -> None:
    root = project(tmp_path)
    envs = Environments(root, EnvSettings(setup=["echo fetching; echo 'no such package' >&2; exit 3"]))
    with pytest.raises(EnvBroken) as caught:
        await envs.prepare("TASK-1", root)
    log = root / ".orchestrator" / "env" / "TASK-1.log"
    assert str(caught.value) == (
        f"setup `echo fetching; echo 'no such package' >&2; exit 3` failed with exit code 3; see {log}"
    )
    assert caught.value.exit_code == 3 and "no such package" in caught.value.output
    assert not caught.value.offline
    assert "no such package" in log.read_text() and "-> exit 3" in log.read_text()


@pytest.mark.anyio
async def test_a_step_over_its_time_limit_is_stopped(tmp_path: Path) -> None:
    root = project(tmp_path)
    envs = Environments(root, EnvSettings(setup=["sleep 30"], timeout_s=0.5))
    with pytest.raises(EnvBroken, match=r"ran over \[env\] timeout_s \(0.5s\)"):
        await envs.prepare("TASK-1", root)


@pytest.mark.anyio
async def test_a_missing_installer_is_named_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path / "p", {"package.json": '{"dependencies": {"ms": "2"}}', "yarn.lock": ""})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "bash"):
        (bin_dir / tool).symlink_to(str(Path(os.popen(f"command -v {tool}").read().strip())))
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(EnvBroken, match=r"^not installed: yarn \(install it, or set `\[env\] setup`\)$"):
        await Environments(root, EnvSettings()).prepare("TASK-1", root)
    assert not (root / ".orchestrator" / "env" / "TASK-1.log").read_text().count("$ ")


@pytest.mark.anyio
async def test_files_are_copied_in_and_never_committed(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".env").write_text("DATABASE_URL=postgres://localhost/app\n")
    tree = tmp_path / "wt"
    git(root, "worktree", "add", "-q", str(tree), "-b", "t1")
    envs = Environments(root, EnvSettings(setup=[], files=[".env"]))
    env = await envs.prepare("TASK-1", tree)
    assert env.source == "none"
    assert (tree / ".env").read_text() == "DATABASE_URL=postgres://localhost/app\n"
    assert git(tree, "status", "--porcelain") == ""
    with pytest.raises(EnvBroken, match=r"\[env\] files: certs/ca.pem is not in"):
        await Environments(root, EnvSettings(files=["certs/ca.pem"])).prepare("TASK-2", tree)


@pytest.mark.anyio
async def test_refresh_installs_again_only_when_the_lockfiles_changed(tmp_path: Path) -> None:
    root = project(tmp_path)
    # The install after a task is confined like the agent's shell: it counts in a file it may write.
    envs = Environments(root, EnvSettings(setup=["echo run >> installs.log"], cache=False))
    env = await envs.prepare("TASK-1", root)
    assert await envs.refresh("TASK-1", env) is env
    (root / "requirements.txt").write_text("ms\n")
    fresh = await envs.refresh("TASK-1", env)
    assert fresh.key != env.key and fresh.source == "setup"
    assert (root / "installs.log").read_text().count("run") == 2
    assert "the task changed its dependencies" in (root / ".orchestrator" / "env" / "TASK-1.log").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.anyio
async def test_services_start_once_with_a_probe_and_stop_with_the_run(tmp_path: Path) -> None:
    root = project(tmp_path)
    port = _free_port()
    serve = f"{sys.executable} -m http.server {port} --bind 127.0.0.1"
    svc = ServiceSettings(name="web", command=serve, ready=f"tcp:{port}")
    envs = Environments(root, EnvSettings(setup=[], services=[svc]))
    env = await envs.prepare("TASK-1", root)
    assert env.service_ports == {port: "web"} and _listening(port)
    await envs.prepare("TASK-2", root)  # started once
    assert (root / ".orchestrator" / "env" / "services.log").read_text().count("[web] ready") == 1
    await envs.aclose()
    assert not _listening(port)


@pytest.mark.anyio
async def test_a_service_that_dies_before_it_is_ready_breaks_every_task(tmp_path: Path) -> None:
    root = project(tmp_path)
    svc = ServiceSettings(name="db", command="echo cannot bind; exit 1", ready=f"tcp:{_free_port()}")
    envs = Environments(root, EnvSettings(setup=[], services=[svc]))
    for task in ("TASK-1", "TASK-2"):
        with pytest.raises(EnvBroken, match=r"service db .* exited with code 1 before it was ready"):
            await envs.prepare(task, root)
    await envs.aclose()


@pytest.mark.anyio
async def test_a_tree_with_other_tasks_merged_work_installs_confined(tmp_path: Path) -> None:
    # An earlier task's merged package files can carry install scripts: only the user's own checkout is
    # installed with the run's own rights. Here the step tries to leave a file outside the tree.
    root = project(tmp_path)
    outside = Path.home() / f".shopfloor-install-{os.getpid()}"
    step = f"echo ran >> installs.log; touch {outside} 2>/dev/null; true"
    envs = Environments(root, EnvSettings(setup=[step], cache=False))
    try:
        own = tmp_path / "own"
        git(root, "worktree", "add", "-q", str(own), "-b", "t1")
        assert (await envs.prepare("TASK-1", own)).source == "setup"
        assert outside.exists()  # what the user has checked out installs as the user would
        outside.unlink()
        merged = tmp_path / "merged"
        git(root, "worktree", "add", "-q", str(merged), "-b", "t2")
        (merged / "src" / "app.py").write_text("WHERE = 'an agent was here'\n")
        git(merged, "commit", "-qam", "TASK-0: merged work")
        assert (await envs.prepare("TASK-2", merged)).source == "setup"
        assert (merged / "installs.log").read_text() == "ran\n"  # it ran, inside the tree
        assert not outside.exists()
    finally:
        outside.unlink(missing_ok=True)
