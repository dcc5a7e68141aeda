"""The scripted-turn format shared by ScriptedModel and the fake provider server.

A script is a list of assistant turns. Each turn is a plain string (text, end of turn), a single
tool call `{"tool": "Read", "input": {...}}`, or a mapping with `text`, `tool_calls`, `thinking`,
`usage`, `stop_reason` and `web_searches` (searches the provider runs itself, with their results).
A file may also be a mapping `{priced_as: MODEL, latency_s: SECONDS, turns: [...]}`; `latency_s` is how
long the model takes over each reply (benches time a run at a provider's pace with it).
Strings inside turns may use `{workdir}` and `{task_id}`, filled from the task prompt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopfloor.models.base import StopReason, Usage, WebSearchHit, WebSearchResult


class ScriptError(ValueError):
    """A script file or turn list that cannot be read."""


class ScriptToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: str
    input: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None
    # Sent verbatim instead of `input`, to exercise how adapters treat malformed arguments.
    raw_arguments: str | None = None
    # Leave the id out on the wire (some OpenAI-compatible servers do).
    omit_id: bool = False


class ScriptWebSearch(BaseModel):
    """A search the provider runs itself during the turn (Anthropic's `web_search` server tool)."""

    model_config = ConfigDict(extra="forbid")

    query: str
    results: list[WebSearchHit] = Field(default_factory=list)
    error: str | None = None
    """An error code (`max_uses_exceeded`, `too_many_requests`, ...) instead of results."""


class ScriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)
    web_searches: list[ScriptWebSearch] = Field(default_factory=list)
    thinking: str | None = None
    usage: Usage | None = None
    stop_reason: StopReason | None = None

    @property
    def effective_stop_reason(self) -> StopReason:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if self.tool_calls else "end_turn"

    def searches(self) -> list[WebSearchResult]:
        return [
            WebSearchResult(query=w.query, hits=list(w.results), error=w.error) for w in self.web_searches
        ]

    def filled(self, variables: dict[str, str]) -> ScriptTurn:
        """A copy with `{workdir}`-style placeholders replaced in every string."""
        if not variables:
            return self
        data = _fill(self.model_dump(), variables)
        return ScriptTurn.model_validate(data)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turns: list[ScriptTurn]
    priced_as: str | None = None
    latency_s: float = Field(default=0.0, ge=0)


TurnLike = ScriptTurn | str | dict[str, Any]


def parse_turn(raw: TurnLike, index: int = 0) -> ScriptTurn:
    """One turn in any accepted shape; `index` only labels errors."""
    if isinstance(raw, ScriptTurn):
        return raw
    if isinstance(raw, str):
        return ScriptTurn(text=raw)
    if not isinstance(raw, dict):
        raise ScriptError(f"turn {index + 1}: expected a string or a mapping, got {type(raw).__name__}")
    data = dict(raw)
    if "tool" in data:
        data = {"tool_calls": [data]}
    try:
        return ScriptTurn.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ScriptError(f"turn {index + 1}: {problems}") from exc


def parse_script(raw: Any, *, source: str = "script") -> Script:
    """A list of turns, or a mapping with `turns` (and optionally `priced_as`, `latency_s`)."""
    priced_as: str | None = None
    latency: Any = 0.0
    if isinstance(raw, dict):
        unknown = set(raw) - {"turns", "priced_as", "latency_s"}
        if unknown:
            raise ScriptError(
                f"{source}: unknown keys {sorted(unknown)} (expected 'turns', 'priced_as', 'latency_s')"
            )
        priced_as = raw.get("priced_as")
        latency = raw.get("latency_s", 0.0)
        raw = raw.get("turns", [])
    if not isinstance(raw, list):
        raise ScriptError(f"{source}: expected a list of turns")
    try:
        turns = [parse_turn(item, i) for i, item in enumerate(raw)]
    except ScriptError as exc:
        raise ScriptError(f"{source}: {exc}") from exc
    try:
        return Script(turns=turns, priced_as=priced_as, latency_s=latency)
    except ValidationError as exc:
        raise ScriptError(f"{source}: latency_s must be a number of seconds, 0 or more") from exc


def load_script(path: Path) -> Script:
    """Read a YAML or JSON script file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read script {path}: {exc.strerror or exc}") from exc
    if path.suffix == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScriptError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    else:
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise ScriptError(f"{path}{where}: invalid YAML: {exc}") from exc
    return parse_script(raw, source=str(path))


_VAR_LINES = {"WORKING_DIR": "workdir", "TASK_ID": "task_id"}
_VAR_RE = re.compile(r"^(WORKING_DIR|TASK_ID):[ \t]*(.+?)\s*$", re.MULTILINE)


def prompt_variables(first_user_text: str) -> dict[str, str]:
    """`{workdir}` and `{task_id}` from the task prompt's `WORKING_DIR:` / `TASK_ID:` lines."""
    found: dict[str, str] = {}
    for match in _VAR_RE.finditer(first_user_text):
        found.setdefault(_VAR_LINES[match.group(1)], match.group(2))
    return found


def _fill(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, variables) for v in value]
    return value
