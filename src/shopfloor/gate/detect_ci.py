"""The checks a project's CI runs: `run:` steps of GitHub workflows and `script:` lines of GitLab CI that
are build, lint, type or test commands (installs, deploys and anything with a CI expression are left out),
and the service containers CI starts for them (a database on a port)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shopfloor.gate.commands import OPERATORS, command_kind, split_segments
from shopfloor.gate.report import CheckKind

_PORT_NAMES = {"postgres": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "redis": "Redis"}
_PORT_NAMES |= {"mongo": "MongoDB", "rabbitmq": "RabbitMQ", "elasticsearch": "Elasticsearch"}


@dataclass(frozen=True)
class CiCommand:
    command: str
    kind: CheckKind
    cwd: str
    """Relative to the tree."""
    source: str
    """The file it came from, relative to the tree."""


@dataclass
class CiFindings:
    commands: list[CiCommand] = field(default_factory=list)
    service_ports: dict[int, str] = field(default_factory=dict)
    """Ports of the services CI starts (5432 -> PostgreSQL), to recognise them being down."""


def ci_findings(tree: Path) -> CiFindings:
    found = CiFindings()
    workflows = tree / ".github" / "workflows"
    files = sorted([*workflows.glob("*.yml"), *workflows.glob("*.yaml")]) if workflows.is_dir() else []
    for path in files:
        _github(_load(path), path.relative_to(tree).as_posix(), found)
    gitlab = tree / ".gitlab-ci.yml"
    if gitlab.is_file():
        _gitlab(_load(gitlab), ".gitlab-ci.yml", found)
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in found.commands:
        if (c.command, c.cwd) not in seen:
            seen.add((c.command, c.cwd))
            unique.append(c)
    found.commands = unique
    return found


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (yaml.YAMLError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _github(data: dict[str, Any], source: str, found: CiFindings) -> None:
    default_dir = _dig(data, "defaults", "run", "working-directory")
    for job in (data.get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        job_dir = _dig(job, "defaults", "run", "working-directory") or default_dir
        for name, svc in (job.get("services") or {}).items():
            _service_ports(str(name), svc, found)
        for step in job.get("steps") or []:
            if not isinstance(step, dict) or not isinstance(step.get("run"), str):
                continue
            cwd = step.get("working-directory") or job_dir or "."
            if not isinstance(cwd, str) or "${{" in cwd:
                continue
            _add_lines(step["run"], cwd, source, found)


def _gitlab(data: dict[str, Any], source: str, found: CiFindings) -> None:
    for name, job in data.items():
        if not isinstance(job, dict) or str(name).startswith("."):
            continue
        script = job.get("script")
        lines = [script] if isinstance(script, str) else script if isinstance(script, list) else []
        for line in lines:
            if isinstance(line, str):
                _add_lines(line, ".", source, found)
        for svc in job.get("services") or []:
            image = svc if isinstance(svc, str) else svc.get("name") if isinstance(svc, dict) else None
            if isinstance(image, str):
                _service_ports(image, {"image": image}, found)


def _add_lines(block: str, cwd: str, source: str, found: CiFindings) -> None:
    for line in _logical_lines(block):
        if "${{" in line or "$CI_" in line:
            continue
        command = _check_part(line)
        if command is not None:
            found.commands.append(CiCommand(command[0], command[1], _norm(cwd), source))


def _check_part(line: str) -> tuple[str, CheckKind] | None:
    """The check a CI line runs, without the installs chained before it (`npm ci && npm test` is
    `npm test`: setup has installed already); None when the line is not a check."""
    segments = split_segments(line)
    if not segments:
        return None
    dropped = False
    while len(segments) > 2 and segments[1] == ["&&"] and _installs(segments[0]):
        segments, dropped = segments[2:], True
    simple = [seg for seg in segments if seg and seg[0] not in OPERATORS]
    kinds = [command_kind(seg) for seg in simple]
    # `cd api && npm test` is a test of api: the line counts when its last command is a check and
    # everything before it is a check too or only sets things up for it.
    if not kinds or kinds[-1] is None:
        return None
    if not all(k is not None or _harmless(s) for k, s in zip(kinds, simple, strict=True)):
        return None
    if not dropped:
        return line, kinds[-1]
    kept = " ".join(seg[0] if len(seg) == 1 and seg[0] in OPERATORS else shlex.join(seg) for seg in segments)
    return kept, kinds[-1]


_INSTALLS = {
    ("npm", "ci"), ("npm", "install"), ("npm", "i"), ("pnpm", "install"), ("pnpm", "i"), ("yarn", "install"),
    ("bun", "install"), ("pip", "install"), ("pip3", "install"), ("uv", "sync"), ("uv", "pip"),
    ("poetry", "install"), ("pdm", "install"), ("go", "mod"), ("cargo", "fetch"),
}  # fmt: skip


def _installs(segment: list[str]) -> bool:
    words = segment[2:] if segment[:2] in (["python", "-m"], ["python3", "-m"]) else segment
    return tuple(words[:2]) in _INSTALLS or words == ["yarn"]


def _harmless(segment: list[str]) -> bool:
    return bool(segment) and segment[0] in {"cd", "export", "set", "true"}


def _logical_lines(block: str) -> list[str]:
    out: list[str] = []
    pending = ""
    for raw in block.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        out.append(pending + line)
        pending = ""
    if pending.strip():
        out.append(pending.strip())
    return out


def _service_ports(name: str, svc: Any, found: CiFindings) -> None:
    image = str(svc.get("image", name)) if isinstance(svc, dict) else str(svc)
    label = next((v for k, v in _PORT_NAMES.items() if k in image.lower() or k in name.lower()), name)
    ports = svc.get("ports") if isinstance(svc, dict) else None
    for spec in ports or []:
        host = str(spec).split(":")[0].split("/")[0]
        if host.isdigit():
            found.service_ports[int(host)] = label


def _dig(data: Any, *keys: str) -> str | None:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


def _norm(cwd: str) -> str:
    clean = cwd.strip().strip("/").removeprefix("./")
    return clean or "."
