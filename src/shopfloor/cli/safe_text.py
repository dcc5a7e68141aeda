"""Text from models and programs, made safe to print on a person's terminal: control characters are shown,
never obeyed (an escape sequence can recolour, retitle, or write the clipboard), and continuation lines are
indented under the line they belong to."""

from __future__ import annotations

import unicodedata

# Characters that reorder text as it is displayed, so what a person reads differs from what is there.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def visible(text: str) -> str:
    """`text` with every control character (but newline and tab) written as an escape: ESC as `\\x1b`."""
    text = text.replace("\r\n", "\n")
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def block(prefix: str, text: str, limit: int) -> str:
    """`prefix`, then `text` cut at `limit` characters and made visible; later lines indented under it."""
    shown = visible(text.strip()[:limit])
    pad = "\n" + " " * len(prefix)
    return prefix + pad.join(shown.splitlines() or [""])
