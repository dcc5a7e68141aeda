"""Which stacks a tree holds and what setting each up means: the detected commands, what they make, what
keys the cache, and what `[env] setup` replaces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shopfloor.config.sections import EnvSettings
from shopfloor.env import detect_stacks, env_spec


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def package(**fields: object) -> str:
    return json.dumps({"name": "x", "dependencies": {"ms": "2.1.3"}, **fields})


def kinds(root: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(s.kind, s.dir, s.install) for s in detect_stacks(root)]


def test_python_stacks_by_their_lockfiles(tmp_path: Path) -> None:
    uv = write(tmp_path / "uv", {"pyproject.toml": '[project]\nname = "a"\n', "uv.lock": ""})
    assert kinds(uv) == [("uv", ".", ("uv sync --frozen",))]
    poetry = write(tmp_path / "poetry", {"pyproject.toml": "[tool.poetry]\nname = 'a'\n"})
    assert kinds(poetry) == [("poetry", ".", ("poetry install --no-interaction",))]
    pdm = write(tmp_path / "pdm", {"pyproject.toml": "[project]\nname='a'\n", "pdm.lock": ""})
    assert kinds(pdm) == [("pdm", ".", ("pdm install --frozen-lockfile",))]
    pip = write(tmp_path / "pip", {"requirements.txt": "ms\n", "requirements-dev.txt": "pytest\n"})
    [stack] = detect_stacks(pip)
    assert stack.install == (
        "python3 -m venv .venv",
        ".venv/bin/python -m pip install -r requirements-dev.txt -r requirements.txt",
    )
    assert stack.products == (".venv",) and stack.bins == (".venv/bin",)


def test_a_buildable_pyproject_installs_itself_with_its_extras_and_a_plain_one_its_dependencies(
    tmp_path: Path,
) -> None:
    built = write(
        tmp_path / "b",
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n[project]\nname = "a"\n'
            '[project.optional-dependencies]\ntest = ["pytest"]\ndev = ["ruff"]\n'
        },
    )
    assert detect_stacks(built)[0].install[-1] == ".venv/bin/python -m pip install -e '.[dev,test]'"
    plain = write(
        tmp_path / "p",
        {"pyproject.toml": '[project]\nname = "a"\ndependencies = ["fastapi>=0.1"]\n'
         '[project.optional-dependencies]\ntest = ["pytest"]\n'},
    )  # fmt: skip
    assert detect_stacks(plain)[0].install[-1] == ".venv/bin/python -m pip install 'fastapi>=0.1' pytest"
    nothing = write(tmp_path / "n", {"pyproject.toml": '[project]\nname = "a"\n'})
    assert detect_stacks(nothing) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"package-lock.json": "{}"}, ("npm", ("npm ci",))),
        ({}, ("npm", ("npm install",))),
        ({"pnpm-lock.yaml": ""}, ("pnpm", ("pnpm install --frozen-lockfile",))),
        ({"yarn.lock": "# yarn lockfile v1\n"}, ("yarn", ("yarn install --frozen-lockfile",))),
        ({"yarn.lock": "__metadata:\n  version: 8\n"}, ("yarn", ("yarn install --immutable",))),
        ({"bun.lock": "{}"}, ("bun", ("bun install --frozen-lockfile",))),
        ({"bun.lockb": ""}, ("bun", ("bun install --frozen-lockfile",))),
    ],
)
def test_node_manager_by_lockfile(tmp_path: Path, files: dict[str, str], expected: tuple[str, ...]) -> None:
    root = write(tmp_path / "n", {"package.json": package(), **files})
    [stack] = detect_stacks(root)
    assert (stack.kind, stack.install) == expected
    assert stack.products[0] == "node_modules" and stack.bins == ("node_modules/.bin",)


def test_package_manager_field_wins_over_the_lockfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(
        tmp_path / "n", {"package.json": package(packageManager="bun@1.1.0"), "package-lock.json": ""}
    )
    [stack] = detect_stacks(root)
    assert stack.kind == "bun" and stack.script("test") == ["bun", "run", "test"]
    # A manager the field names but this machine lacks runs through corepack, when corepack is there.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "corepack").write_text("#!/bin/sh\n")
    (tools / "corepack").chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    pnpm = write(tmp_path / "p", {"package.json": package(packageManager="pnpm@9.15.9")})
    [stack] = detect_stacks(pnpm)
    assert stack.via_corepack and stack.install == ("corepack pnpm install --no-frozen-lockfile",)
    assert stack.script("lint") == ["corepack", "pnpm", "run", "lint"]


def test_a_package_without_dependencies_has_nothing_to_install(tmp_path: Path) -> None:
    root = write(
        tmp_path / "n", {"package.json": json.dumps({"name": "x", "scripts": {"test": "node --test"}})}
    )
    [stack] = detect_stacks(root)
    assert stack.kind == "npm" and stack.install == () and stack.products == ()


def test_go_cargo_and_first_level_projects(tmp_path: Path) -> None:
    root = write(
        tmp_path / "mono",
        {
            "go.mod": "module x\n",
            "web/package.json": package(),
            "web/package-lock.json": "{}",
            "tool/Cargo.toml": "[package]\n",
            "tool/Cargo.lock": "",
        },
    )
    assert kinds(root) == [
        ("go", ".", ("go mod download",)),
        ("cargo", "tool", ("cargo fetch --locked",)),
        ("npm", "web", ("npm ci",)),
    ]


def test_members_of_a_node_workspace_are_not_stacks_of_their_own(tmp_path: Path) -> None:
    root = write(
        tmp_path / "ws",
        {
            "package.json": package(workspaces=["api"]),
            "package-lock.json": "{}",
            "api/package.json": package(),
        },
    )
    assert kinds(root) == [("npm", ".", ("npm ci",))]


def test_configured_setup_replaces_the_detected_steps_but_keeps_the_stacks(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "ms\n"})
    spec = env_spec(root, EnvSettings(setup=["make deps"]))
    assert spec.configured and [s.command for s in spec.steps] == ["make deps"]
    assert spec.update_steps() == spec.steps
    assert spec.products() == [".venv"] and spec.missing_tools() == []
    detected = env_spec(root, EnvSettings())
    assert not detected.configured and [s.tool for s in detected.steps] == ["python3", "python3"]


def test_the_key_follows_the_lockfiles_and_the_steps_not_the_code(tmp_path: Path) -> None:
    root = write(tmp_path / "n", {"package.json": package(), "package-lock.json": "{}", "index.js": "1\n"})
    spec = env_spec(root, EnvSettings())
    key = spec.key(root)
    (root / "index.js").write_text("2\n")
    assert spec.key(root) == key
    other = tmp_path / "copy"
    shutil.copytree(root, other)
    assert env_spec(other, EnvSettings()).key(other) == key  # the same install wherever the tree is
    (root / "package-lock.json").write_text('{"lockfileVersion": 3}')
    assert spec.key(root) != key
    assert env_spec(other, EnvSettings(setup=["npm install"])).key(other) != key


def test_missing_tools_are_named_before_anything_runs(tmp_path: Path) -> None:
    root = write(tmp_path / "y", {"package.json": package(), "yarn.lock": "# yarn lockfile v1\n"})
    spec = env_spec(root, EnvSettings())
    assert spec.missing_tools(path=str(tmp_path / "empty")) == ["yarn"]
    assert "yarn in ." in spec.describe()[0]
