"""Line shapes of Markdown records: headings, bold labels, field bullets, rules, fences, section text."""

from __future__ import annotations

import re

from shopfloor.queue.tables import split_ending

HEADING = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")
SECTION = re.compile(r"^\*\*(?P<name>[A-Za-z][^*\n]*?)(?::\*\*|\*\*[ \t]*:)(?P<rest>.*)$")
BULLET_FIELD = re.compile(
    r"^[ \t]*[-*+][ \t]+\*\*(?P<name>[A-Za-z][^*\n]*?)(?P<sep>:\*\*|\*\*[ \t]*:)[ \t]*(?P<value>.*)$"
)
FENCE = re.compile(r"^[ \t]*(```|~~~)")
RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def heading_level(bare: str) -> int:
    """How many `#` open the line (0 when it is not a heading)."""
    found = HEADING.match(bare)
    return len(found.group("hashes")) if found else 0


def replace_bullet_value(line: str, bullet: re.Match[str], value: str) -> str:
    bare, ending = split_ending(line)
    head = bare[: bullet.start("value")]
    if not head.endswith((" ", "\t")):
        head += " "
    return head + " ".join(value.split()) + ending


def body_lines(text: str) -> list[str]:
    """A section's text as lines, with lines that would end the section (a bold label, a heading, a
    rule) indented so the text reads back as one section. Code fences are kept as they are."""
    out: list[str] = []
    in_fence = False
    for line in text.strip("\n").split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (SECTION.match(line) or RULE.match(line) or HEADING.match(line)):
            line = "  " + line
        out.append(line)
    return out


def section_lines(name: str, text: str, newline: str = "\n") -> list[str]:
    """`**Name:** text` on one line, or `**Name:**` and the text below it."""
    body = body_lines(text)
    if len(body) == 1 and not re.match(r"^([-*+]|\d+[.)])\s", body[0]):
        return [f"**{name}:** {body[0]}".rstrip() + newline]
    return [f"**{name}:**{newline}"] + [f"{line}{newline}" for line in body]


def fence_end(lines: list[str], start: int) -> int:
    """Index just past the fence that opens at `start` (or the end of input if it never closes)."""
    marker = FENCE.match(lines[start])
    assert marker is not None
    for j in range(start + 1, len(lines)):
        if lines[j].lstrip().startswith(marker.group(1)):
            return j + 1
    return len(lines)
