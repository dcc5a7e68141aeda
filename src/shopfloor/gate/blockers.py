"""When a check could not run, say so instead of calling it a failure: a runner that is not installed,
dependencies that were never installed, a service the tests need that is not running. The work is not
blamed for these, and the message names the fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from shopfloor.env.declared import python_requirements
from shopfloor.env.project_env import ProjectEnv
from shopfloor.env.setup import EnvBroken
from shopfloor.env.stacks import package_json
from shopfloor.gate.report import Check, CheckResult

KNOWN_PORTS = {
    5432: "PostgreSQL", 3306: "MySQL", 6379: "Redis", 27017: "MongoDB", 5672: "RabbitMQ",
    9200: "Elasticsearch", 11211: "Memcached", 9092: "Kafka", 4222: "NATS", 1433: "SQL Server",
}  # fmt: skip
_NOT_FOUND = re.compile(
    r"(?:^|\n)\S*?(?:sh|bash)(?:: line \d+)?:(?: \d+:)? ([\w.@/+-]+): (?:command )?not found"
)
_NO_MODULE = re.compile(r"No module named '?([\w.]+)'?")
_NODE_MISSING = re.compile(r"Cannot find (?:module|package) '([^'./][^']*)'")
_REFUSED_LINE = re.compile(r"^.*(?:refused|ECONNREFUSED|Error 111|\(111\)).*$", re.MULTILINE | re.IGNORECASE)
_PORT = re.compile(r"(?:port |[\w\]\"']:)(\d{2,5})\b")
_SETUP_HINT = "run setup, or set `[env] setup`"


def not_installed(tool: str, where: str = "") -> str:
    return f"not installed: {tool}{where} (install it, or set `[gate] commands`)"


def before_running(check: Check, env: ProjectEnv, path: str | None) -> str | None:
    """Why `check` cannot run at all, found without running it: its stack's dependencies were never
    installed, or its program is not on PATH."""
    if check.needs is not None:
        missing = env.missing(check.cwd, check.needs)
        if missing:
            return missing[0]
    if check.argv:
        program = check.argv[0]
        if "/" not in program and shutil.which(program, path=path) is None:
            return not_installed(program)
        if "/" in program and not Path(program).exists():
            return _missing_program(program, env)
    return None


def could_not_start(check: Check, err: OSError, env: ProjectEnv) -> str:
    program = check.exec_argv()[0]
    if isinstance(err, FileNotFoundError):
        return _missing_program(program, env) if "/" in program else not_installed(program)
    return f"could not start {program}: {err}"


def _missing_program(program: str, env: ProjectEnv) -> str:
    inside = Path(program).is_relative_to(env.root)
    return (
        f"dependencies missing: {program} does not exist ({_SETUP_HINT})"
        if inside
        else not_installed(program)
    )


def after_running(
    check: Check, exit_code: int | None, output: str, env: ProjectEnv, ports: dict[int, str]
) -> str | None:
    """Why a failed check's failure is the environment's, read from what it printed; None when it is not."""
    if exit_code == 0:
        return None
    refused = _refused(output, env, ports)
    if refused:
        return refused
    missing_tool = _NOT_FOUND.search(output)
    if missing_tool and (exit_code == 127 or "ELIFECYCLE" in output or "npm error" in output):
        name = missing_tool.group(1).rsplit("/", 1)[-1]
        if name in _node_declared(check.cwd, env):
            return f"dependencies missing: {name} is a project dependency but not installed ({_SETUP_HINT})"
        return not_installed(name)
    argv = check.argv or []
    if len(argv) >= 3 and argv[1] == "-m":
        tool = argv[2]
        if re.search(rf"No module named '?{re.escape(tool)}'?\s*$", output, re.MULTILINE):
            where = f" in {argv[0]}" if argv[0] != "python3" else " for python3"
            return (
                f"dependencies missing: {tool} is not installed{where} (add it to the project's development "
                f"dependencies and {_SETUP_HINT}, or set `[gate] python`)"
            )
    declared = _python_declared(check.cwd, env)
    for module in _NO_MODULE.findall(output):
        top = module.split(".")[0]
        if _norm(top) in declared:
            return f"dependencies missing: {top} is declared by the project but not installed ({_SETUP_HINT})"
    node_declared = _node_declared(check.cwd, env)
    for name in _NODE_MISSING.findall(output):
        package = "/".join(name.split("/")[:2]) if name.startswith("@") else name.split("/")[0]
        if package in node_declared:
            return f"dependencies missing: {package} is in package.json but not installed ({_SETUP_HINT})"
    return None


def _refused(output: str, env: ProjectEnv, ports: dict[int, str]) -> str | None:
    for line in _REFUSED_LINE.findall(output):
        for port_text in _PORT.findall(line):
            port = int(port_text)
            if port in env.service_ports:
                name = env.service_ports[port]
                return f"connection refused on {port}: service {name} is not answering (see its log)"
            known = ports.get(port) or KNOWN_PORTS.get(port)
            if known:
                return f"connection refused on {port}: is {known} running? (`[env] services`)"
    return None


def _node_declared(folder: Path, env: ProjectEnv) -> set[str]:
    names: set[str] = set()
    for base in {folder, env.root}:
        pkg = package_json(base)
        for key in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            section = pkg.get(key)
            if isinstance(section, dict):
                names |= set(section)
    bins = {n.rsplit("/", 1)[-1] for n in names}
    return names | bins


def _python_declared(folder: Path, env: ProjectEnv) -> set[str]:
    return {_norm(n) for base in {folder, env.root} for n in python_requirements(base)}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def setup_result(err: EnvBroken) -> CheckResult:
    """The install that ran after the task changed its dependencies, as a check: the task's own failure
    (a package that does not exist), or the environment's when it looks like the network."""
    return CheckResult(
        name="setup",
        kind="build",
        command=err.step or "setup",
        cwd=".",
        exit_code=err.exit_code,
        duration_s=0.0,
        output_tail=err.output or str(err),
        passed=False,
        environment=str(err) if err.offline or err.step is None else None,
    )
