"""`shopfloor demo`: the whole pipeline on the example service, played by a scripted model."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import anyio

from shopfloor.orchestrator.events import RunEvent

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SCRIPTED_NOTE = (
    "This demo uses a scripted model that ships with shopfloor: no LLM is called and no API key is needed "
    "(the network is used once, to install the example's own dependencies). Everything else is real: git "
    "worktrees, each task's environment, tools, the gate, the merge queue, SQLite."
)


def example_source() -> Path:
    """The example project: packaged with the wheel, or beside the sources in a checkout."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "examples" / "taskboard"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "examples" / "taskboard"


def demo_command(target: Path | None) -> int:
    from shopfloor.assets.demo_script import DECOMPOSITION
    from shopfloor.assets.demo_script import __file__ as script_init
    from shopfloor.cli.live import RunView
    from shopfloor.cli.verify import render_report
    from shopfloor.config.settings import load_settings
    from shopfloor.env import EnvBroken, Environments
    from shopfloor.gate.verify import run_gate
    from shopfloor.orchestrator.pipeline import run_project
    from shopfloor.orchestrator.run_options import RunOptions
    from shopfloor.orchestrator.store import Store
    from shopfloor.tools.sandbox import refusal, sandbox_support

    source = example_source()
    if not source.is_dir():
        print(f"shopfloor: the example project is missing ({source})", file=sys.stderr)
        return EXIT_USAGE
    root = (target or Path(tempfile.mkdtemp(prefix="shopfloor-demo-"))).expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        print(f"shopfloor: {root} is not empty; pick a new folder for the demo", file=sys.stderr)
        return EXIT_USAGE
    shutil.copytree(source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    print(SCRIPTED_NOTE)
    print(f"Project: {root}\n")
    overrides: dict[str, dict[str, object]] = {"run": {"parallel": 2, "attempts": 3, "gate_rounds": 3}}
    support = sandbox_support()
    if not support.available:
        # The demo's agents play a script shipped with shopfloor, so running them unconfined is safe here;
        # a real run would refuse, and the user should know why and what to do.
        print(f"Note: {refusal(support.reason)}")
        print("The demo's agents are scripted by shopfloor itself, so it runs them unconfined this once.\n")
        overrides["sandbox"] = {"enabled": False}
    settings = load_settings(root, overrides=overrides)
    # The example declares its environment in its shopfloor.toml; set it up once here (the checkout the
    # final verification runs on), and every task's worktree gets a copy of it.
    try:
        env = anyio.run(lambda: Environments(root, settings.env, settings.sandbox).prepare("checkout", root))
    except EnvBroken as err:
        print(f"shopfloor: the example's environment could not be set up: {err}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Environment: {'; '.join(env.spec.describe())} ({env.seconds:.1f}s)\n")
    scripts = Path(script_init).parent
    assert (scripts / f"{DECOMPOSITION}.yaml").is_file()
    view = RunView()
    listeners: list[Callable[[RunEvent], None]] = [view]
    with view:
        report = anyio.run(run_project, root, settings, RunOptions(model=f"scripted:{scripts}"), listeners)
    if report.aborted:
        print(
            f"\nThe demo stopped. What it did so far is in {root}; `shopfloor resume --dir {root}` goes on.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print("\nFinal verification of the merged project: running its checks and the security checklist...")
    final = anyio.run(
        lambda: run_gate(
            root, task=None, base_ref=None, settings=settings.gate, env=env, sandbox=settings.sandbox
        )
    )
    render_report(final)
    with Store.for_project(root) as store:
        tasks = store.tasks(report.run_id)
        events = store.events_since(0, run_id=report.run_id, limit=100_000)
    rounds = [e.payload.get("report") for e in events if e.kind == "gate_round"]
    gate_runs = [r for r in rounds if isinstance(r, dict)]
    verdicts = Counter(str(r.get("verdict")) for r in gate_runs)
    severities: Counter[str] = Counter()
    for r in gate_runs:
        listed = r.get("findings")
        for f in listed if isinstance(listed, list) else []:
            severities[str(f.get("severity")) if isinstance(f, dict) else "?"] += 1
    print("\nSummary")
    for t in tasks:
        if t.task_id in ("decomposition", "research"):  # planning runs, not tasks
            print(f"  {t.task_id}: planning run, ${t.cost_usd:.2f}")
            continue
        print(f"  {t.task_id}: {t.status:<10} agent {t.agent}, model {t.model}, attempts {t.attempts}")
    for r in gate_runs:
        if r.get("verdict") == "fail":
            reasons = r.get("reasons")
            said = "; ".join(str(x) for x in reasons) if isinstance(reasons, list) else ""
            print(f"  gate failed {r.get('task_id')} once, report sent back to its agent: {said[:160]}")
    print(
        f"  gate runs: {len(gate_runs)} ({verdicts.get('pass', 0)} passed, "
        f"{verdicts.get('fail', 0)} failed); findings along the way: {severities.get('high', 0)} high "
        f"(blocking), {sum(severities.values()) - severities.get('high', 0)} review item(s)"
    )
    print(f"  final checks: {len(final.checks)} ({final.verdict})")
    print(
        f"  what this run would have cost at list prices on the routed models: ${report.total_cost_usd:.2f}"
    )
    print(f"\n{SCRIPTED_NOTE}")
    print(f"The result is in {root} (task branches shopfloor/TASK-*, worktrees in .orchestrator/worktrees).")
    return EXIT_OK if report.ok and final.verdict == "pass" else EXIT_FAILED
