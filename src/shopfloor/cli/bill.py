"""How the CLI words a bill's cache line: tokens read from and written to the prompt cache, and what
caching saved against paying for the same tokens as plain input."""

from __future__ import annotations

from shopfloor.models.base import Usage


def cache_line(usage: Usage, saved_usd: float | None) -> str:
    """One line such as `cache: read 38,772 tokens, wrote 19,507; caching saved $0.0512`."""
    line = f"cache: read {usage.cache_read_tokens:,} tokens, wrote {usage.cache_write_tokens:,}"
    if usage.cache_write_1h_tokens:
        line += f" ({usage.cache_write_1h_tokens:,} kept for an hour)"
    if saved_usd is None:
        return line + "; saving unknown (no price for this model)"
    if saved_usd < 0:
        return line + f"; caching cost ${-saved_usd:.4f} more than it saved (too few calls read it back)"
    return line + f"; caching saved ${saved_usd:.4f}"
