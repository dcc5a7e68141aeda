"""`shopfloor run --dry-run`: the plan a run would follow and every problem that would stop it, with no
model called and nothing written."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from shopfloor.config.settings import Settings
from shopfloor.layout import Layout
from shopfloor.orchestrator.run_options import RunOptions

EXIT_OK, EXIT_USAGE = 0, 2


def describe_model(spec: str, settings: Settings) -> str:
    """`sonnet (anthropic:claude-sonnet-4-5)`: the spec as given and where it leads."""
    from shopfloor.models.base import ModelConfigError
    from shopfloor.models.resolve import parse_spec

    if spec.startswith("scripted:"):
        return "scripted"
    try:
        resolved = parse_spec(spec, settings=settings.models)
    except ModelConfigError:
        return spec
    full = f"{resolved.provider}:{resolved.model_id}"
    return full if spec in (full, resolved.model_id) else f"{spec} ({full})"


def _money(rng: tuple[float, float] | None) -> str:
    return "unknown (no list price for this model)" if rng is None else f"${rng[0]:.2f} to ${rng[1]:.2f}"


class _Plan:
    """Collects the plan's sections and the problems found on the way."""

    def __init__(self, project: Path, settings: Settings, options: RunOptions) -> None:
        self.project = project
        self.settings = settings
        self.options = options
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.console = Console()

    def say(self, text: str = "") -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def heading(self, title: str) -> None:
        self.say()
        self.say(title)


def dry_run_command(project: Path, settings: Settings, options: RunOptions) -> int:
    """Print the plan; exit 2 when something would stop the run, else 0."""
    from shopfloor.orchestrator.preflight import repo_problem, sandbox_problems, tool_notes, tool_problems

    plan = _Plan(project, settings, options)
    plan.say(f"Plan for {project} (a dry run: no model is called, nothing is written)")
    problem = repo_problem(project)
    if problem:
        plan.problems.append(problem)
    queue = Layout(project).task_queue
    decompose = options.decompose or not queue.is_file()
    sections: list[Callable[[_Plan], None]] = [
        _decomposition if decompose else _tasks,
        _environment,
        _checks,
    ]
    for section in sections:
        section(plan)
    plan.problems += tool_problems(project, settings)
    plan.problems += sandbox_problems(settings)
    plan.notes += tool_notes()
    if plan.notes:
        plan.heading("Notes")
        for note in plan.notes:
            plan.say(f"  {note}")
    if plan.problems:  # on stderr, as every error: the plan above is what would run once they are fixed
        plan.say()
        plan.say(f"{len(plan.problems)} problem(s) would stop this run:")
        for p in plan.problems:
            print(f"shopfloor: {p}", file=sys.stderr)
        return EXIT_USAGE
    plan.say()
    plan.say("Nothing stops this run: start it with `shopfloor run` and the same options.")
    return EXIT_OK


def _decomposition(plan: _Plan) -> None:
    from shopfloor.orchestrator.plan import decomposition_cost
    from shopfloor.orchestrator.prd import PRD_FILE, prd_problem
    from shopfloor.orchestrator.preflight import agent_problems, model_problems, model_uses

    plan.heading("Decomposition")
    problem = prd_problem(plan.project)
    if problem:
        plan.problems.append(problem)
        plan.say(f"  {PRD_FILE}: cannot be used as it stands (see the problems)")
    else:
        lines = len((plan.project / PRD_FILE).read_text(encoding="utf-8").splitlines())
        plan.say(f"  {PRD_FILE}: found ({lines} line{'' if lines == 1 else 's'})")
    (use,) = model_uses(plan.project, plan.settings, plan.options.model, None)
    plan.say(f"  the {use.agent} writes the task queue, on {describe_model(use.spec, plan.settings)}")
    plan.say(f"  estimated cost: {_money(decomposition_cost(use.spec, plan.settings))}")
    plan.say("  then the tasks it writes run; once .orchestrator/task_queue.md exists, this plan lists them")
    plan.problems += agent_problems(plan.project, [use]) + model_problems(plan.project, plan.settings, [use])


def _tasks(plan: _Plan) -> None:
    from shopfloor.orchestrator.plan import make_plan
    from shopfloor.orchestrator.planning import queue_problems
    from shopfloor.orchestrator.preflight import agent_problems, model_problems, model_uses
    from shopfloor.queue.tasks import load_task_queue
    from shopfloor.queue.vocabulary import priority_rank

    path = Layout(plan.project).task_queue
    problems = queue_problems(path)
    if problems:
        plan.heading("Task queue")
        plan.problems += [str(p) for p in problems]
        plan.say(f"  {path}: has problems (see the problems)")
        return
    queue = load_task_queue(path)
    made = make_plan(queue, plan.settings, override=plan.options.model, project=plan.project)
    tasks = {t.id: t for t in queue.tasks}
    order = {tid: n for n, tid in enumerate(tasks)}
    table = Table(title=f"Tasks ({path})")
    for col in ("wave", "task", "priority", "agent", "model", "cost range"):
        table.add_column(col, no_wrap=col in ("task", "agent", "model"))
    for t in sorted(
        made.tasks, key=lambda t: (t.wave, priority_rank(tasks[t.task_id].priority), order[t.task_id])
    ):
        cost = "unknown" if t.cost_low is None else f"${t.cost_low:.2f}-${t.cost_high or 0:.2f}"
        model = "scripted" if t.model.startswith("scripted:") else t.model
        table.add_row(str(t.wave), t.task_id, tasks[t.task_id].priority or "-", t.agent, model, cost)
    plan.say()
    plan.console.print(table)
    done = len(queue.tasks) - len(made.tasks)
    plan.say(
        f"{len(made.tasks)} task(s) to run in {len(made.waves)} wave(s), up to {plan.settings.run.parallel} "
        f"agents at once" + (f"; {done} already completed" if done else "")
    )
    specs = sorted({t.model for t in made.tasks if not t.model.startswith("scripted:")})
    if specs:
        plan.say("models: " + "; ".join(describe_model(spec, plan.settings) for spec in specs))
    plan.say(f"estimated cost: {_money(made.cost_range)}")
    assumed = [(t.id, note) for t in queue.tasks if t.status != "completed" for note in t.assumed]
    if assumed:
        plan.say("assumed where the queue does not say (write the field to change it):")
        for tid, note in assumed:
            plan.say(f"  {tid}: {note}")
    uses = model_uses(plan.project, plan.settings, plan.options.model, queue.tasks)
    plan.problems += agent_problems(plan.project, uses) + model_problems(plan.project, plan.settings, uses)


def _environment(plan: _Plan) -> None:
    from shopfloor.cli.env_view import environment_lines

    plan.say()
    for line in environment_lines(plan.project, plan.settings):
        plan.say(line)


def _checks(plan: _Plan) -> None:
    from shopfloor.cli.env_view import check_lines

    plan.say()
    for line in check_lines(plan.project, plan.settings):
        plan.say(line)
    plan.say("  then the security checklist and the test-integrity checks on each task's diff")
