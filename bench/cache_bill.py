"""What one agent's tasks cost on shopfloor and on Claude Code: the same trajectory, one bill.

Both harnesses run the seed backend-agent file (tests/fixtures/seed, unchanged) against the fake provider
(`shopfloor.testing.FakeProvider`), which serves each the same scripted turns and bills every request as
Anthropic's prompt cache does: a `cache_control` breakpoint stores the prefix up to it for 5 minutes (or an
hour with `ttl: "1h"`), a later request reads the longest stored prefix, and the rest up to its last
breakpoint is written. Tokens are the fake's estimate (about four characters of each block's JSON a token),
one yardstick for both harnesses; dollars are the list price of the model `sonnet` resolves to.

Trajectories, on a small notes service: short (3 model calls), the seed's task (7: explore, read, edit,
add a test, check, write the marker, report) and long (30), then a run of 10 seed tasks of the one agent,
each in its own copy of the project: back to back, 10 minutes apart on the fake's cache clock, or 4 at once
with half a second before each answer begins (a cache entry is readable only then).
shopfloor runs in-process as `agent run` and the orchestrator prepare an agent: "as shipped" with its
built-in skills, "harness alone" with the three skills the seed names replaced by one-line project skills,
and "no caching" (no breakpoints) for reference. Claude Code runs when `claude` is found (on PATH, or
--claude PATH): `claude -p PROMPT --agent backend-agent` in a copy of the project whose .claude/agents/
holds the seed file; without it, its column reads "not measured" (bench/README.md keeps the last figures).

Run from the repository root:  .venv/bin/python bench/cache_bill.py [--claude PATH] [--skip-claude]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
from agent_overhead import make_project
from cache_meter import Bill, Meter, MeteredFake, Shape, sonnet
from trajectories import TRAJECTORIES, seed_turns

from shopfloor.agent.prompts import AgentTask, task_prompt
from shopfloor.agent.setup import AgentRun, run_agent
from shopfloor.config.sections import ModelSettings, Price
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import CacheTTL
from shopfloor.models.resolve import parse_spec, profile_for
from shopfloor.models.retry import BackoffRegistry

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "fixtures" / "seed" / "backend-agent.md"
SEED_SKILLS = ("api_development", "database_designer", "backend_security")
TOOLS = "Read,Write,Edit,Glob,Grep,Bash"
GAP_S = 600.0
PARALLEL = 4
PREFILL_S = 0.5
"""Seconds before an answer begins (and its prompt is readable from the cache), when tasks overlap."""


def prepare_project(root: Path, *, one_line_skills: bool = False) -> Path:
    """The notes project as a git repository with the seed agent file (and one-line skills if asked)."""
    root = make_project(root)
    (root / ".claude" / "agents").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEED, root / ".claude" / "agents" / "backend-agent.md")
    if one_line_skills:
        for name in SEED_SKILLS:
            folder = root / ".claude" / "skills" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "SKILL.md").write_text(
                f"---\nname: {name}\ndescription: {name.replace('_', ' ')}.\n---\n\n"
                "Follow the project's own conventions.\n",
                encoding="utf-8",
            )
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=root, check=True)
    return root


def task_for(root: Path, task_id: str) -> AgentTask:
    return AgentTask(
        task_id=task_id,
        objective="get_note must fail clearly when the note does not exist, with a test for it.",
        criteria=["get_note raises LookupError for a missing id", "a test covers it"],
        workdir=root,
    )


async def shopfloor_run(
    roots: list[Path],
    turns: list[dict[str, Any]],
    shape: Shape,
    *,
    ttl: CacheTTL = "5m",
    caching: bool = True,
    shared_registry: bool = True,
) -> Meter:
    """The backend-agent on each root as `agent run` or an orchestrated run prepares it, against one fake.

    `shared_registry` hands every task one BackoffRegistry, as `shopfloor run` does (parallel tasks then
    wait for the first to begin before sending the same new prefix); False gives each task its own.
    """
    meter = Meter()
    model_id, _ = sonnet()
    settings = ModelSettings()
    profile = profile_for(parse_spec("sonnet", settings=settings, env={}), settings)
    profile = profile.model_copy(update={"supports_caching": caching})
    ids = shape.task_ids()
    registry = BackoffRegistry()
    limiter = anyio.CapacityLimiter(shape.parallel)
    with MeteredFake({t: list(turns) for t in ids}, meter, prefill_s=shape.prefill_s) as fake:

        async def one(root: Path, task_id: str) -> None:
            async with limiter:
                model = AnthropicModel(
                    model_id,
                    api_key="sk-bench",
                    base_url=fake.anthropic_base_url,
                    profile=profile,
                    backoffs=registry if shared_registry else BackoffRegistry(),
                )
                run = AgentRun(
                    agent="backend-agent", task=task_for(root, task_id), model=model, cache_ttl=ttl
                )
                try:
                    result = await run_agent(run)
                finally:
                    await model.aclose()
                assert result.outcome == "completed", result

        if shape.parallel == 1:
            for i, (root, task_id) in enumerate(zip(roots, ids, strict=True)):
                if i:
                    fake.advance_clock(shape.gap_s)
                await one(root, task_id)
        else:
            async with anyio.create_task_group() as tg:
                for root, task_id in zip(roots, ids, strict=True):
                    tg.start_soon(one, root, task_id)
    return meter


def claude_run(
    claude: str, roots: list[Path], turns: list[dict[str, Any]], shape: Shape, home: Path
) -> Meter:
    """`claude -p` on each root in turn (or `parallel` at once), against one fake."""
    meter = Meter()
    ids = shape.task_ids()
    with MeteredFake({t: list(turns) for t in ids}, meter, prefill_s=shape.prefill_s) as fake:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "ANTHROPIC_BASE_URL": fake.anthropic_base_url,
            "ANTHROPIC_API_KEY": "sk-bench",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "DISABLE_AUTOUPDATER": "1",
        }

        def one(root: Path, task_id: str) -> None:
            argv = [claude, "-p", task_prompt(task_for(root, task_id)), "--agent", "backend-agent"]
            argv += ["--allowedTools", TOOLS, "--output-format", "json"]
            out = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                raise RuntimeError(f"claude exited {out.returncode}: {(out.stderr or out.stdout)[-2000:]}")
            marker = root / ".orchestrator" / "complete" / f"{task_id}.done"
            assert marker.is_file(), f"Claude Code did not write {marker}"

        if shape.parallel == 1:
            for i, (root, task_id) in enumerate(zip(roots, ids, strict=True)):
                if i:
                    fake.advance_clock(shape.gap_s)
                one(root, task_id)
        else:
            with ThreadPoolExecutor(shape.parallel) as pool:
                list(pool.map(one, roots, ids))
    return meter


def find_claude(explicit: str | None) -> str | None:
    return explicit or shutil.which("claude")


def claude_version(claude: str) -> str:
    out = subprocess.run([claude, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or "unknown version"


class Bench:
    def __init__(self, tmp: Path, price: Price, claude: str | None):
        self.tmp, self.price, self.claude = tmp, price, claude
        self.made = 0
        self.failures: list[str] = []

    def projects(self, n: int, *, one_line_skills: bool = False) -> list[Path]:
        self.made += 1
        return [
            prepare_project(self.tmp / f"p{self.made:02d}-{i:02d}", one_line_skills=one_line_skills)
            for i in range(n)
        ]

    def keep(self, bill: Bill) -> Bill:
        self.failures += [f"{bill.label}: {e}" for e in bill.meter.errors]
        return bill

    def claude_bill(self, label: str, turns: list[dict[str, Any]], shape: Shape) -> Bill | None:
        if self.claude is None:
            return None
        meter = claude_run(self.claude, self.projects(shape.tasks), turns, shape, self.tmp / "claude-home")
        return self.keep(Bill(label, meter, self.price))

    async def shopfloor_bill(
        self,
        label: str,
        turns: list[dict[str, Any]],
        shape: Shape,
        *,
        one_line_skills: bool = False,
        **how: Any,
    ) -> Bill:
        roots = self.projects(shape.tasks, one_line_skills=one_line_skills)
        return self.keep(Bill(label, await shopfloor_run(roots, turns, shape, **how), self.price))


async def one_task(bench: Bench, name: str) -> None:
    turns = TRAJECTORIES[name]()
    single = Shape()
    cc = bench.claude_bill("Claude Code", turns, single)
    shipped = await bench.shopfloor_bill("shopfloor as shipped", turns, single)
    alone = await bench.shopfloor_bill("shopfloor harness alone", turns, single, one_line_skills=True)
    plain = await bench.shopfloor_bill("shopfloor, no caching", turns, single, caching=False)
    print(f"\n{name} task ({len(shipped.meter.usages)} model calls)")
    for bill in (cc, shipped, alone, plain):
        if bill is not None:
            print(bill.row(cc))
    if cc is None:
        print("  Claude Code                    not measured (claude not found; see bench/README.md)")
    saved = 1 - shipped.usd / plain.usd
    print(f"  caching saves {saved:.0%} of shopfloor's bill on this task")
    if cc is not None and name == "seed":
        a, b = shipped.usd / cc.usd, alone.usd / cc.usd
        print(
            f"  targets: as shipped {a:.2f}x Claude Code (<= 0.8: {'met' if a <= 0.8 else 'MISSED'}), "
            f"harness alone {b:.2f}x (<= 0.6: {'met' if b <= 0.6 else 'MISSED'})"
        )


async def one_agent_run(bench: Bench, tasks: int) -> None:
    turns = seed_turns()
    print(f"\n{tasks} seed tasks of backend-agent, each in its own copy of the project")
    shapes = [
        ("back to back", Shape(tasks)),
        (f"{GAP_S / 60:.0f} min apart", Shape(tasks, gap_s=GAP_S)),
        (f"{PARALLEL} at once", Shape(tasks, parallel=PARALLEL, prefill_s=PREFILL_S)),
    ]
    for when, shape in shapes:
        bills: list[Bill | None] = [bench.claude_bill("Claude Code", turns, shape)]
        if shape.parallel == 1:
            for ttl in ("5m", "1h"):
                bills.append(
                    await bench.shopfloor_bill(f"shopfloor, prefix kept {ttl}", turns, shape, ttl=ttl)
                )
        else:
            bills.append(await bench.shopfloor_bill("shopfloor, one run (gated)", turns, shape))
            bills.append(
                await bench.shopfloor_bill("shopfloor, separate runs", turns, shape, shared_registry=False)
            )
        print(f" {when}:")
        for bill in bills:
            if bill is not None:
                wrote, of = bill.meter.prefix_writes()
                print(bill.row(note=f"  prefix written by {wrote} of {of} tasks"))


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claude", help="the claude executable (default: `claude` on PATH)")
    parser.add_argument("--skip-claude", action="store_true", help="measure shopfloor only")
    parser.add_argument("--tasks", type=int, default=10, help="tasks in the one-agent run")
    parser.add_argument("--only", action="append", choices=[*TRAJECTORIES, "run"], help="repeatable")
    args = parser.parse_args()
    only = args.only or [*TRAJECTORIES, "run"]
    claude = None if args.skip_claude else find_claude(args.claude)
    model_id, price = sonnet()
    long_write = price.cache_write_1h if price.cache_write_1h is not None else 2 * price.input
    print(
        f"{model_id} list prices per million tokens: input ${price.input}, output ${price.output}, cache "
        f"write ${price.cache_write} (5 min) or ${long_write} (1 h), cache read ${price.cache_read}"
    )
    print(f"Claude Code: {claude_version(claude) if claude else 'not measured (claude not found)'}")
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), price, claude)
        for name in TRAJECTORIES:
            if name in only:
                await one_task(bench, name)
        if "run" in only:
            await one_agent_run(bench, args.tasks)
    if bench.failures:
        print("\ntool calls that failed (each trajectory is meant to succeed on both harnesses):")
        for failure in bench.failures:
            print(f"  {failure}")
        sys.exit(1)


if __name__ == "__main__":
    anyio.run(main)
