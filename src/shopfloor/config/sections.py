"""The typed sections of shopfloor's configuration, and the small vocabularies they are written in.

Every component takes its own section from here; this room imports no other part of shopfloor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

Severity = Literal["high", "medium", "low"]
"""How bad a gate finding is; `[gate] fail_on` names the lowest severity that fails a task."""
Category = Literal["backend", "frontend", "fullstack", "testing", "devops", "docs"]
Complexity = Literal["easy", "normal", "complex"]

DEFAULT_AGENTS: dict[Category, str] = {
    "backend": "backend-agent",
    "frontend": "frontend-agent",
    "testing": "qa-agent",
    "fullstack": "general-purpose",
    "devops": "general-purpose",
    "docs": "general-purpose",
}
DEFAULT_MODELS: dict[Complexity, str] = {"easy": "haiku", "normal": "sonnet", "complex": "opus"}


class TokenCounts(Protocol):
    """What a price is applied to (a model call's usage)."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_1h_tokens(self) -> int: ...


class Price(BaseModel):
    """List price in US dollars per million tokens."""

    input: float
    output: float
    cache_write: float | None = None
    """A cache write kept 5 minutes (Anthropic: 1.25 times the input price)."""
    cache_read: float | None = None
    cache_write_1h: float | None = None
    """A cache write kept one hour; twice the input price when not given, as Anthropic bills it."""

    def _cache_part(self, usage: TokenCounts) -> float:
        """Cache writes and reads at their rates, in dollars per million."""
        write = self.cache_write if self.cache_write is not None else self.input
        read = self.cache_read if self.cache_read is not None else self.input
        write_1h = self.cache_write_1h if self.cache_write_1h is not None else 2 * self.input
        long_writes = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
        return (
            (usage.cache_write_tokens - long_writes) * write
            + long_writes * write_1h
            + usage.cache_read_tokens * read
        )

    def cost(self, usage: TokenCounts) -> float:
        plain = usage.input_tokens * self.input + usage.output_tokens * self.output
        return (plain + self._cache_part(usage)) / 1_000_000

    def cache_saving(self, usage: TokenCounts) -> float:
        """What caching saved on `usage`: its cached tokens billed as plain input, minus what they cost.

        Negative when more was written to the cache than was read back (a task of one call).
        """
        as_input = (usage.cache_write_tokens + usage.cache_read_tokens) * self.input
        return (as_input - self._cache_part(usage)) / 1_000_000


class ModelSettings(BaseModel):
    """The `[models]` section of the configuration."""

    model_config = ConfigDict(extra="forbid")

    default: str = "sonnet"
    """Model used when neither the command line nor the agent file names one (or both say `inherit`)."""
    aliases: dict[str, str] = Field(default_factory=dict)
    """Alias -> spec, e.g. `sonnet = "claude-sonnet-4-5"` or `local = "openai:qwen2.5-coder"`."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Model id -> list price in US$ per million tokens; wins over the built-in table."""
    context_windows: dict[str, int] = Field(default_factory=dict)
    """Model id -> context window in tokens, for models the built-in table does not know."""
    max_retries: int = Field(5, ge=0)
    """Retries after the first attempt for 429, 529, 5xx and dropped connections or streams."""
    retry_base_delay_s: float = Field(1.0, ge=0)
    """First backoff delay in seconds; it doubles on each retry (with jitter)."""
    retry_max_delay_s: float = Field(60.0, ge=0)
    """Longest backoff delay in seconds, unless the server's retry-after asks for more."""
    max_retry_after_s: float = Field(600.0, ge=0)
    """A server asking to wait longer than this many seconds ends the call instead."""
    request_timeout_s: float = Field(600.0, gt=0)
    """Seconds a model call may go without receiving data before it is abandoned and retried."""
    max_tokens: int = Field(16_384, ge=1)
    """Most tokens a model may write in one turn (lowered to the model's own limit)."""
    anthropic_base_url: str | None = None
    """Messages API endpoint; default ANTHROPIC_BASE_URL, then Anthropic's own."""
    openai_base_url: str | None = None
    """Chat Completions endpoint; default OPENAI_BASE_URL, then OpenAI's own."""
    openai_stream: bool = True
    """Stream Chat Completions answers; turn off for servers that stream tool calls badly."""
    probe_timeout_s: float = Field(2.0, gt=0)
    """Seconds to wait for a local server to report its context window."""


class RoutingSettings(BaseModel):
    """The `[routing]` section. Partial maps are laid over the defaults, so a config names only changes."""

    agents: dict[Category, str] = Field(default_factory=lambda: dict(DEFAULT_AGENTS))
    """Category -> agent name (backend -> backend-agent, frontend -> frontend-agent, testing -> qa-agent,
    fullstack/devops/docs -> general-purpose)."""
    models: dict[Complexity, str] = Field(default_factory=lambda: dict(DEFAULT_MODELS))
    """Complexity -> model spec (easy -> haiku, normal -> sonnet, complex -> opus); any spec
    `--model` accepts works here."""

    @field_validator("agents", mode="before")
    @classmethod
    def _agents_over_defaults(cls, value: object) -> object:
        return {**DEFAULT_AGENTS, **value} if isinstance(value, Mapping) else value

    @field_validator("models", mode="before")
    @classmethod
    def _models_over_defaults(cls, value: object) -> object:
        return {**DEFAULT_MODELS, **value} if isinstance(value, Mapping) else value


class LimitSettings(BaseModel):
    """Limits for one agent run (per task in an orchestrated run)."""

    max_turns: int = Field(100, ge=1, description="Model calls allowed per run.")
    max_tokens: int | None = Field(None, ge=1, description="Total tokens (input, output, cache) per run.")
    budget_usd: float | None = Field(None, gt=0, description="Dollars per run at list prices.")
    max_wall_s: float | None = Field(None, gt=0, description="Wall-clock seconds per run.")


class GateSettings(BaseModel):
    """The `[gate]` section of the configuration."""

    model_config = ConfigDict(extra="forbid")

    commands: list[str] = Field(default_factory=list)
    """Shell commands to run instead of the detected checks (task commands still run too)."""
    timeout_s: float = Field(600.0, gt=0)
    """Wall-clock limit for one check; the whole process group is killed when it runs over."""
    fail_on: Severity = "high"
    """The lowest security severity that fails the gate; lower findings are review items."""
    tamper_guard: bool = True
    """Fail tasks that edit or delete existing tests, CI or lint/type/test configuration."""
    protected_paths: list[str] = Field(default_factory=list)
    """More globs the tamper guard protects, on top of the built-in test and CI patterns."""
    run_security: bool = True
    """Run the security checklist on the task's diff (or the whole tree when there is no base)."""
    task_commands: bool = True
    """Also run the task's own commands: its queue Build/Test Command (else the queue's Project Commands)
    and commands written in backticks in its acceptance criteria."""
    timeouts: dict[str, float] = Field(default_factory=dict)
    """Per-check limits in seconds, keyed by a check's name or command (`pytest`, `npm run test`) or its
    kind (`build`, `lint`, `typecheck`, `test`); `timeout_s` for the rest."""
    quiet_timeout_s: float = 180.0
    """A test check that prints nothing for this many seconds is stopped (a suite waiting for a service
    that is not running); 0 turns it off."""
    python: str | None = None
    """Interpreter for Python tools; default: the tree's own .venv, else `python3` on PATH (never the
    interpreter shopfloor runs on)."""
    require_checks: bool = True
    """Fail when no build, lint or test check could be found at all: such a tree is not verified."""
    output_tail_chars: int = Field(4000, ge=0)
    """How much of the end of each check's output the report keeps (ANSI codes removed)."""
    test_integrity: bool = True
    """Check added and changed tests for ways of not testing anything (no assertion, a skip, ...)."""
    prove_tests: bool = True
    """Run a task's new tests on its base commit too: they must fail there at least once."""
    passes_before: Literal["fail", "review", "off"] = "fail"
    """New tests that pass before the change too: a failure (backend tasks), a review item, or ignored."""
    mutation: Literal["fail", "review", "off"] = "fail"
    """A changed function whose every mutant survives the task's new tests: a failure (backend tasks), a
    review item, or not checked. Other surviving mutants are always review items."""
    mutation_budget_s: float = Field(60.0, ge=0)
    """Seconds the mutation check may spend on one task (0 turns it off); skipped with a note when the
    budget cannot fit one run of the task's tests, cut short with a note when it runs out."""
    mutants_per_function: int = Field(4, ge=1)
    """Most mutants tried on one changed function: a return value, a condition, an operator, a statement."""
    network: bool = False
    """Let the checks reach the network; they run in the same sandbox as agents' Bash, offline by default."""


class ServiceSettings(BaseModel):
    """One service the project's tests need (a database, a queue), started once per run."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """What it is, for messages: `postgres`, `redis`."""
    command: str
    """Shell command that starts it and stays in the foreground (`docker run --rm -p 5432:5432 ...`)."""
    ready: str | None = None
    """Readiness probe: `tcp:PORT` (or `tcp:HOST:PORT`), or a shell command that exits 0 once it is ready."""
    port: int | None = None
    """The port it serves, so a refused connection there is recognised as this service being down."""
    timeout_s: float = Field(60.0, gt=0)
    """How long it may take to become ready."""


class EnvSettings(BaseModel):
    """The `[env]` section: a task worktree's project environment, set up before its agent starts."""

    model_config = ConfigDict(extra="forbid")

    setup: list[str] | None = None
    """Shell commands run in each new task worktree, with network and outside the sandbox; default: the
    detected stacks' install commands (`uv sync --frozen`, `npm ci`, ...). An empty list runs nothing."""
    files: list[str] = Field(default_factory=list)
    """Paths (relative to the project) copied into each worktree: a git-ignored `.env`, certificates."""
    services: list[ServiceSettings] = Field(default_factory=list)
    """What the tests need running, started before the first task and stopped at the end of the run."""
    timeout_s: float = Field(900.0, gt=0)
    """Wall-clock limit for each setup command."""
    cache: bool = True
    """Reuse an installed environment (hard-linked) when the lockfiles and setup are unchanged."""
    pass_env: list[str] = Field(default_factory=list)
    """Variables setup commands get although their names look secret (a private registry's token)."""
    vars: dict[str, str] = Field(default_factory=dict)
    """Variables set for setup, the agent's shell and the gate's checks (`DATABASE_URL` for a service)."""


class SandboxSettings(BaseModel):
    """How agents' shell commands and the gate's checks are confined."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True,
        description="Run agents' Bash commands and the gate's checks inside bubblewrap. false runs them "
        "unconfined on purpose (`--no-sandbox` does the same for one run); where bwrap does not work, "
        "`run` and `agent run` refuse Bash-capable agents unless it is false.",
    )
    allow_network: bool = Field(False, description="Let agents' sandboxed commands reach the network.")
    env: list[str] = Field(
        default_factory=list,
        description="More environment variables agents' commands and the gate's checks may see: names, or "
        "`PREFIX*`. Built in: PATH, HOME, USER, locale, terminal and toolchain variables.",
    )
    max_processes: int = Field(
        512, ge=0, description="Processes an agent's commands may run at once (0: no limit)."
    )
    max_memory_mb: int = Field(
        4096, ge=0, description="Memory one sandboxed process may allocate, in MiB (0: no limit)."
    )
    unix_sockets: bool = Field(
        False,
        description="Let sandboxed commands create Unix sockets (multiprocessing managers, local servers); "
        "socket files of the host (docker, ssh-agent) then become reachable too.",
    )


class RunSettings(BaseModel):
    """How an orchestrated run schedules and retries tasks."""

    model_config = ConfigDict(extra="forbid")

    parallel: int = Field(4, ge=1, description="Agents running at once.")
    attempts: int = Field(
        3,
        ge=1,
        description="Agent sessions per task (a crash, a silent agent or no marker starts a new one).",
    )
    gate_rounds: int = Field(
        3, ge=1, description="Failed gate rounds per task; each sends the report back to the same agent."
    )
    budget_usd: float | None = Field(None, gt=0, description="Dollar budget for the whole run.")
    task_budget_usd: float | None = Field(
        None, gt=0, description="Dollars reserved for each task; defaults to limits.budget_usd."
    )
    task_deadline_s: float = Field(3600, gt=0, description="Longest a task may run before it is failed.")
    lease_s: float = Field(
        900, gt=0, description="Seconds an agent may go without any event before its attempt is retried."
    )
    merge_attempts: int = Field(2, ge=1, description="Tries to resolve a merge conflict per task.")
    tdd: bool = Field(False, description="Ask decomposition for test-first tasks.")
    keep_worktrees: Literal["failed", "all"] = Field(
        "failed",
        description="Task worktrees kept once a task ends: those of tasks that did not merge, or all "
        "(a merged task's worktree is removed; its branch stays).",
    )


class ToolSettings(BaseModel):
    """The `[tools]` section: what the tools beyond files and shell may do."""

    model_config = ConfigDict(extra="forbid")

    web: bool = False
    """Let WebFetch reach the network (a `WebFetch(domain:...)` rule in `tools:` allows that domain)."""
    web_search: bool = True
    """Offer the provider's server-side web search to WebSearch (Anthropic models only)."""
    web_model: str | None = None
    """Model that reads fetched pages and runs searches; default haiku on Anthropic runs, else the
    agent's own model."""
    fetch_max_bytes: int = Field(10_000_000, ge=1)
    """Largest page WebFetch downloads."""
    fetch_max_chars: int = Field(100_000, ge=1000)
    """Markdown characters of a page handed to the model that answers WebFetch's prompt."""
    fetch_timeout_s: float = Field(60.0, gt=0)
    """Seconds one WebFetch download may take."""
    fetch_cache_s: float = Field(900.0, ge=0)
    """Seconds a fetched page is reused from the cache (Claude Code keeps 15 minutes)."""
    agent_depth: int = Field(3, ge=0)
    """How deep Task/Agent delegation may nest below the task's agent (0 = no delegation)."""
    agent_share: float = Field(0.5, gt=0, le=1)
    """Share of the delegating agent's remaining token and dollar budget a sub-agent may spend."""
