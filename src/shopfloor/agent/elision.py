"""Keeping a long conversation inside the model's context window by eliding old tool output."""

from __future__ import annotations

from shopfloor.models.base import Message, TextPart, ToolResultPart, ToolSpec, ToolUsePart
from shopfloor.models.context_window import estimate_prompt_tokens, estimate_tokens

# Tools whose results record what the agent changed; they are short and always kept.
_CHANGE_TOOLS = {"Edit", "MultiEdit", "Write"}


def message_tokens(message: Message) -> int:
    total = 4
    for part in message.parts:
        if isinstance(part, TextPart):
            total += estimate_tokens(part.text)
        elif isinstance(part, ToolUsePart):
            total += estimate_tokens(part.name + str(part.input))
        elif isinstance(part, ToolResultPart):
            total += estimate_tokens(part.content)
        else:
            total += estimate_tokens(part.thinking)
    return total


def prefix_tokens(system: str, tools: list[ToolSpec]) -> int:
    return estimate_prompt_tokens(system, tools)


def elide_old_results(
    messages: list[Message], *, budget_tokens: int, keep_recent: int = 6, target_ratio: float = 0.6
) -> int:
    """Shrink old tool results in place until the conversation fits `budget_tokens`.

    The first message (the task) and the last `keep_recent` messages stay whole, and so does the outcome
    of every edit. Once over budget, it elides down to `target_ratio` of the budget so the prefix stays
    stable (and cached) for many turns instead of shifting every turn. Returns how many results it cut.
    """
    total = sum(message_tokens(m) for m in messages)
    if total <= budget_tokens:
        return 0
    target = int(budget_tokens * target_ratio)
    names = {p.id: p.name for m in messages for p in m.parts if isinstance(p, ToolUsePart)}
    cut = 0
    for message in messages[1 : max(1, len(messages) - keep_recent)]:
        for i, part in enumerate(message.parts):
            if total <= target:
                return cut
            if not isinstance(part, ToolResultPart) or names.get(part.tool_use_id) in _CHANGE_TOOLS:
                continue
            if part.content.startswith("[elided"):
                continue
            before = estimate_tokens(part.content)
            note = (
                f"[elided to save context: {len(part.content)} characters of "
                f"{names.get(part.tool_use_id, 'tool')} output; run the tool again if you need it]"
            )
            message.parts[i] = part.model_copy(update={"content": note})
            total -= before - estimate_tokens(note)
            cut += 1
    return cut
