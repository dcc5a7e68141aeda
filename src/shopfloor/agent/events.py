"""Typed records of what an agent run did; they stream to the transcript, the store and the UI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from shopfloor.models.base import Usage
from shopfloor.tools.todo_list import TodoItem

OutcomeKind = Literal["completed", "incomplete", "budget_exceeded", "failed"]


class EventBase(BaseModel):
    """What every event carries: when, and which task (empty for run-wide events)."""

    ts: float = Field(default_factory=time.time)
    task_id: str = ""
    via: list[str] = Field(default_factory=list)
    """Where it happened below the task's own agent, outermost first: a sub-agent's call id
    (`sub-1`) or a tool that asked a model (`WebFetch`). Empty for the task's agent itself."""


class RunStarted(EventBase):
    kind: Literal["run_started"] = "run_started"
    agent: str
    model: str
    provider: str
    workdir: str
    system_chars: int
    tools: list[str]
    notices: list[str] = Field(default_factory=list)


class UserMessage(EventBase):
    """Text the harness sent the model as the user: the task prompt, a reminder, a gate report."""

    kind: Literal["user_message"] = "user_message"
    text: str


class ModelCalled(EventBase):
    kind: Literal["model_called"] = "model_called"
    turn: int
    messages: int
    request_chars: int


class ModelReplied(EventBase):
    kind: Literal["model_replied"] = "model_replied"
    turn: int
    text: str
    tool_calls: int
    stop_reason: str
    usage: Usage
    cost_usd: float | None
    duration_s: float
    cache_saved_usd: float | None = None
    """What prompt caching saved on this call (cached tokens as plain input minus their cost)."""


class ToolCalled(EventBase):
    kind: Literal["tool_called"] = "tool_called"
    turn: int
    call_id: str
    name: str
    input: dict[str, Any]
    raw_input: str | None = None
    """What the model sent, when it was not a JSON object (then `input` is empty)."""


class ToolAnswered(EventBase):
    kind: Literal["tool_answered"] = "tool_answered"
    turn: int
    call_id: str
    name: str
    content: str
    is_error: bool
    duration_s: float


class Notice(EventBase):
    kind: Literal["notice"] = "notice"
    message: str


HookOutcomeKind = Literal["ok", "blocked", "error", "timed_out"]


class HookRan(EventBase):
    """A hook command of Claude Code's settings (or an agent file) ran, and what came of it."""

    kind: Literal["hook_ran"] = "hook_ran"
    event: str
    """The hook event: PreToolUse, SubagentStop, ..."""
    command: str
    source: str
    """The file that configured it."""
    exit_code: int | None
    outcome: HookOutcomeKind
    """`blocked`: exit code 2, or JSON that blocks or denies; `error`: another exit code (the action
    goes on)."""
    message: str = ""
    """What the hook said back: the reason given to the model, or its error output."""
    duration_s: float
    subject: str = ""
    """What it was matched against: the tool name, the session start's source."""


class TodosChanged(EventBase):
    """The agent's task list, as its TodoWrite call just set it."""

    kind: Literal["todos_changed"] = "todos_changed"
    todos: list[TodoItem]


class SubagentStarted(EventBase):
    """An Agent/Task call started another agent; its events follow with `call` in their `via`."""

    kind: Literal["subagent_started"] = "subagent_started"
    call: str
    agent: str
    model: str
    description: str
    prompt: str
    depth: int


class SubagentFinished(EventBase):
    kind: Literal["subagent_finished"] = "subagent_finished"
    call: str
    agent: str
    outcome: OutcomeKind
    reason: str = ""
    turns: int
    usage: Usage
    cost_usd: float | None
    duration_s: float
    text: str
    """Its final message: what the delegating agent got back."""


class RunFinished(EventBase):
    kind: Literal["run_finished"] = "run_finished"
    outcome: OutcomeKind
    reason: str = ""
    turns: int
    usage: Usage
    cost_usd: float | None
    duration_s: float


Event = Annotated[
    RunStarted
    | UserMessage
    | ModelCalled
    | ModelReplied
    | ToolCalled
    | ToolAnswered
    | Notice
    | HookRan
    | TodosChanged
    | SubagentStarted
    | SubagentFinished
    | RunFinished,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

# Tool output kept in the transcript; the model saw all of it, the record keeps enough to follow.
TRANSCRIPT_TOOL_OUTPUT_CHARS = 20_000


def parse_event(line: str) -> Event:
    return EVENT_ADAPTER.validate_json(line)


def read_transcript(path: Path) -> list[Event]:
    """Every event of a transcript; a torn last line (crash mid-write) is skipped."""
    events: list[Event] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                events.append(parse_event(line))
            except ValueError:
                continue
    return events


class Transcript:
    """Appends events as JSON lines, flushed one by one so a crash keeps everything up to it."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")

    def write(self, event: Event) -> None:
        if isinstance(event, ToolAnswered) and len(event.content) > TRANSCRIPT_TOOL_OUTPUT_CHARS:
            event = event.model_copy(update={"content": event.content[:TRANSCRIPT_TOOL_OUTPUT_CHARS]})
        self._fh.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Transcript:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
