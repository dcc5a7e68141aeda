"""Built-in list prices and limits for well-known models (config can override every figure).

Prices are US dollars per million tokens: input, output, 5-minute cache write, cache read.
OpenAI bills no cache writes, so theirs equal the input price. Claude Haiku 5.5 is priced by
prompt size; the table holds its lower band (prompts up to 100k tokens).
"""

from __future__ import annotations

import re

from shopfloor.config.sections import Price


def _p(inp: float, out: float, write: float, read: float) -> Price:
    return Price(input=inp, output=out, cache_write=write, cache_read=read)


_OPUS_NEW = _p(5, 25, 6.25, 0.50)
_OPUS_OLD = _p(15, 75, 18.75, 1.50)
_SONNET_4 = _p(3, 15, 3.75, 0.30)
_SONNET_5 = _p(2, 10, 2.50, 0.20)

BUILTIN_PRICES: dict[str, Price] = {
    # Claude
    "claude-fable-5-1": _p(10, 50, 12.50, 0.25),
    "claude-mythos-5-1": _p(10, 50, 12.50, 0.25),
    "claude-fable-5": _p(10, 50, 12.50, 1.00),
    "claude-mythos-5": _p(10, 50, 12.50, 1.00),
    "claude-opus-5-5": _p(4, 20, 5.00, 0.20),
    "claude-opus-5": _OPUS_NEW,
    "claude-opus-4-8": _OPUS_NEW,
    "claude-opus-4-7": _OPUS_NEW,
    "claude-opus-4-6": _OPUS_NEW,
    "claude-opus-4-5": _OPUS_NEW,
    "claude-opus-4-1": _OPUS_OLD,
    "claude-opus-4-0": _OPUS_OLD,
    "claude-opus-4": _OPUS_OLD,
    "claude-sonnet-5-5": _SONNET_5,
    "claude-sonnet-5": _SONNET_5,
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-0": _SONNET_4,
    "claude-sonnet-4": _SONNET_4,
    "claude-3-7-sonnet": _SONNET_4,
    "claude-haiku-5-5": _p(0.10, 0.50, 0.125, 0.01),
    "claude-haiku-4-5": _p(1, 5, 1.25, 0.10),
    "claude-3-5-haiku": _p(0.80, 4, 1.00, 0.08),
    # OpenAI
    "gpt-5.4": _p(2.50, 15, 2.50, 0.25),
    "gpt-5.4-mini": _p(0.75, 4.50, 0.75, 0.075),
    "gpt-5.2": _p(1.75, 14, 1.75, 0.175),
    "gpt-5": _p(1.25, 10, 1.25, 0.125),
    "gpt-5-mini": _p(0.25, 2, 0.25, 0.025),
    "gpt-5-nano": _p(0.05, 0.40, 0.05, 0.005),
    "gpt-4.1": _p(2, 8, 2, 0.50),
    "gpt-4.1-mini": _p(0.40, 1.60, 0.40, 0.10),
    "gpt-4.1-nano": _p(0.10, 0.40, 0.10, 0.025),
    "gpt-4o": _p(2.50, 10, 2.50, 1.25),
    "gpt-4o-mini": _p(0.15, 0.60, 0.15, 0.075),
    "o3": _p(2, 8, 2, 0.50),
    "o3-mini": _p(1.10, 4.40, 1.10, 0.55),
    "o4-mini": _p(1.10, 4.40, 1.10, 0.275),
    "o1": _p(15, 60, 15, 7.50),
}

KNOWN_MODELS: tuple[str, ...] = tuple(BUILTIN_PRICES)
"""Model ids shopfloor knows; `sonnet`, `opus` and `haiku` stand for the newest of their family here."""

# (context window, max output tokens), by id prefix; the longest matching prefix wins.
BUILTIN_LIMITS: dict[str, tuple[int, int]] = {
    "claude-fable-5": (1_000_000, 128_000),
    "claude-mythos-5": (1_000_000, 128_000),
    "claude-opus-5": (1_000_000, 128_000),
    "claude-sonnet-5": (1_000_000, 128_000),
    "claude-haiku-5": (1_000_000, 128_000),
    "claude-opus-4-6": (1_000_000, 128_000),
    "claude-opus-4-7": (1_000_000, 128_000),
    "claude-opus-4-8": (1_000_000, 128_000),
    "claude-sonnet-4-6": (1_000_000, 64_000),
    "claude-opus-4-5": (200_000, 64_000),
    "claude-opus-4": (200_000, 32_000),
    "claude-sonnet-4": (200_000, 64_000),
    "claude-haiku-4": (200_000, 64_000),
    "claude-3-7": (200_000, 64_000),
    "claude-3-5": (200_000, 8_192),
    "claude": (200_000, 8_192),
    "gpt-5": (400_000, 128_000),
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-4o": (128_000, 16_384),
    "o1": (200_000, 100_000),
    "o3": (200_000, 100_000),
    "o4": (200_000, 100_000),
}

_DATE_SUFFIX = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest|\[1m\])$")


def canonical_id(model_id: str) -> str:
    """Strip snapshot dates and variants: `claude-sonnet-4-5-20250929` -> `claude-sonnet-4-5`."""
    previous = None
    while previous != model_id:
        previous, model_id = model_id, _DATE_SUFFIX.sub("", model_id)
    return model_id


def builtin_price(model_id: str) -> Price | None:
    return BUILTIN_PRICES.get(model_id) or BUILTIN_PRICES.get(canonical_id(model_id))


def builtin_limits(model_id: str) -> tuple[int, int] | None:
    best = max((p for p in BUILTIN_LIMITS if model_id.startswith(p)), key=len, default=None)
    return BUILTIN_LIMITS[best] if best is not None else None
