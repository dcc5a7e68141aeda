"""`shopfloor init`: a PRD template, a commented config file and a folder for the project's agents."""

from __future__ import annotations

from pathlib import Path

from shopfloor.orchestrator.prd import PRD_TEMPLATE

CONFIG_TEMPLATE = """# shopfloor configuration. Every key is optional; these are the defaults.

[run]
parallel = 4          # agents at once
attempts = 3          # agent sessions per task (a crash, silence or no marker starts a new one)
gate_rounds = 3       # failed gate rounds per task; each report goes back to the same agent
# budget_usd = 20.0   # whole run; no new task starts when what is left cannot cover one
# task_budget_usd = 2.0

[limits]
max_turns = 100       # model calls per agent run
# budget_usd = 2.0    # dollars per agent run
# max_wall_s = 1800

[routing.agents]      # category -> agent
# backend = "backend-agent"

[routing.models]      # complexity -> model alias or spec
# easy = "haiku"
# normal = "sonnet"
# complex = "opus"

[gate]
# commands = ["python -m pytest -q"]   # replaces detection when set
# network = false                      # the checks run in the sandbox, offline

[sandbox]
enabled = true        # bubblewrap for agents' Bash and the gate's checks; false runs them unconfined
allow_network = false
# env = ["DATABASE_URL"]   # more variables commands may see (PATH, locale, toolchains are built in)
# max_processes = 512
# max_memory_mb = 4096
"""


def init_command(project: Path) -> int:
    root = project.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for rel, text in (("PRD.md", PRD_TEMPLATE), ("shopfloor.toml", CONFIG_TEMPLATE)):
        path = root / rel
        if path.exists():
            print(f"kept existing {path}")
            continue
        path.write_text(text, encoding="utf-8")
        made.append(rel)
    agents = root / ".shopfloor" / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    readme = agents / "README.md"
    if not readme.exists():
        readme.write_text(
            "Agent files for this project (Markdown with YAML frontmatter, as Claude Code subagents).\n"
            "A file here named like a built-in agent replaces it for this project.\n",
            encoding="utf-8",
        )
        made.append(".shopfloor/agents/README.md")
    for rel in made:
        print(f"created {root / rel}")
    print("Next: describe what to build in PRD.md, then run `shopfloor run --dry-run` and `shopfloor run`.")
    if (root / ".git").exists():
        print(
            "Commit shopfloor.toml and .shopfloor/ with your project: each task works in a checkout of the "
            "last commit, so an agent file that is not committed does not reach it."
        )
    return 0
