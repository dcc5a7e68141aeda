"""YAML frontmatter in Markdown files, with the file line of every problem and every field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FENCE = "---"
_CLOSING = re.compile(r"-{3,}")


class FrontmatterError(Exception):
    """A file whose frontmatter cannot be read; `line` is 1-based in the whole file."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Frontmatter:
    """The fields, where each one sits in the file, and the Markdown body after the fence."""

    data: dict[str, Any]
    present: bool
    """False when the file has no frontmatter at all (allowed only where the caller says so)."""
    start_line: int = 1
    end_line: int = 1
    """Line of the closing `---`."""
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    """For fields written as YAML lists: the line of each item."""
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    quoted: list[tuple[str, int]] = field(default_factory=list)
    """Fields whose unquoted `: ` made the YAML invalid and that were read as plain text instead."""
    body: str = ""
    body_line: int = 1
    yaml_error: FrontmatterError | None = None
    """With `tolerate_yaml`: why the fields could not be read (they are then empty)."""

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.start_line)


def quoted_warning(key: str) -> str:
    return (
        f"`{key}` holds an unquoted value YAML cannot read (a `: ` inside it, or a leading `*`, `@` "
        "or backtick); it was read as plain text, as Claude Code reads it (put the value in quotes "
        "to make the file valid YAML)"
    )


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); otherwise an error naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        bad = data[err.start : err.start + 1].hex()
        raise FrontmatterError(
            line, f"the file is not valid UTF-8 (byte 0x{bad} at column {column}); save it as UTF-8"
        ) from None


def parse(data: bytes, *, required: bool = True, tolerate_yaml: bool = False) -> Frontmatter:
    """Split `data` into frontmatter fields and body. Raises FrontmatterError with a file line.

    With `tolerate_yaml`, YAML that cannot be read leaves the fields empty and is reported in
    `yaml_error` (Claude Code loads a skill that way, "with empty metadata").
    """
    text = decode(data)
    if not text.strip():
        raise FrontmatterError(1, "the file is empty; expected YAML frontmatter between two `---` lines")
    lines = _LINE_BREAK.split(text)
    if lines[0].rstrip() != _FENCE:
        if not required:
            return Frontmatter(data={}, present=False, body=text.strip())
        raise FrontmatterError(
            1, "the file does not start with `---`; expected YAML frontmatter between two `---` lines"
        )
    # Claude Code accepts a closing line of more than three dashes (`-----`); so do we.
    close = next((i for i in range(1, len(lines)) if _CLOSING.fullmatch(lines[i].rstrip())), None)
    if close is None:
        unclosed = FrontmatterError(
            1, "the frontmatter opened on line 1 is never closed; add a `---` line after the last field"
        )
        if not tolerate_yaml:
            raise unclosed
        return Frontmatter(data={}, present=False, body=text.strip(), yaml_error=unclosed)
    try:
        fm = _load_lenient("\n".join(lines[1:close]))
    except FrontmatterError as err:
        if not tolerate_yaml:
            raise
        body = "\n".join(lines[close + 1 :]).strip()
        return Frontmatter(
            data={}, present=True, end_line=close + 1, body=body, body_line=close + 2, yaml_error=err
        )
    return Frontmatter(
        data=fm.data,
        present=True,
        start_line=1,
        end_line=close + 1,
        key_lines=fm.key_lines,
        item_lines=fm.item_lines,
        duplicates=fm.duplicates,
        quoted=fm.quoted,
        body="\n".join(lines[close + 1 :]).strip(),
        body_line=close + 2,
    )


def _yaml_problem(err: yaml.MarkedYAMLError, source: str) -> FrontmatterError:
    """Point at the problem; at the start of the construct when the problem is only "end of input"."""
    problem, context = err.problem_mark, err.context_mark
    at_end = problem is not None and problem.index >= len(source.rstrip())
    mark = context if (problem is None or at_end) and context is not None else problem
    line = mark.line + _OFFSET if mark is not None else _OFFSET
    what = " ".join(p for p in (err.context, err.problem) if p)
    if context is not None and context.line + _OFFSET != line:
        what += f" (the construct starts on line {context.line + _OFFSET})"
    if err.problem == "mapping values are not allowed here":
        what += "; a value containing `: ` must be put in quotes"
    return FrontmatterError(line, f"the frontmatter is not valid YAML: {what}")


@dataclass
class _Loaded:
    data: dict[str, Any]
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]
    duplicates: list[tuple[str, int]]
    quoted: list[tuple[str, int]] = field(default_factory=list)


# The YAML text starts on file line 2 (after the opening fence) and node marks are 0-based.
_OFFSET = 2


# A top-level `key: value` line. When strict YAML fails, such a line whose plain value YAML cannot
# read (an inner `: ` as in "Use when: ...", or a first character YAML reserves, as in "**Bold**")
# is read as text, as Claude Code's loader does, with a warning.
_TOP_LINE = re.compile(r"^([A-Za-z_][\w-]*):[ \t]+(.+?)[ \t]*$")
_RESERVED_START = "*@`%!&"


def _needs_quotes(value: str) -> bool:
    if value[0] in "'\"[{|>#":  # quoted, a flow collection, a block scalar or a comment: leave it
        return False
    return value[0] in _RESERVED_START or ": " in value or value.endswith(":")


def _load_lenient(source: str) -> _Loaded:
    """Strict YAML; if that fails, quote the plain values YAML cannot read and try once more."""
    try:
        return _load_yaml(source)
    except FrontmatterError as strict:
        lines = source.split("\n")
        quoted: list[tuple[str, int]] = []
        for i, line in enumerate(lines):
            match = _TOP_LINE.match(line)
            if match and _needs_quotes(match.group(2)):
                lines[i] = f"{match.group(1)}: {json.dumps(match.group(2))}"
                quoted.append((match.group(1), i + _OFFSET))
        if not quoted:
            raise
        try:
            loaded = _load_yaml("\n".join(lines))
        except FrontmatterError:
            raise strict from None
        loaded.quoted = quoted
        return loaded


def _compose(loader_cls: Any, source: str) -> tuple[Node | None, Any]:
    loader = loader_cls(source)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _checked_compose(source: str) -> tuple[Node | None, Any]:
    try:
        return _compose(yaml.SafeLoader, source)
    except yaml.MarkedYAMLError as err:
        raise _yaml_problem(err, source) from None
    except yaml.YAMLError as err:
        raise FrontmatterError(_OFFSET, f"the frontmatter is not valid YAML: {err}") from None


def _load_yaml(source: str) -> _Loaded:
    # The C loader (when PyYAML has it) is several times faster; on an error the pure-Python loader
    # runs again because its messages say more (which character, which construct).
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            node, value = _compose(fast, source)
        except yaml.YAMLError:
            node, value = _checked_compose(source)
    else:
        node, value = _checked_compose(source)
    if value is None:
        return _Loaded({}, {}, {}, [])
    if not isinstance(node, MappingNode) or not isinstance(value, dict):
        kind = type(value).__name__
        raise FrontmatterError(
            _OFFSET, f"the frontmatter must be `key: value` fields, but it is a YAML {kind}"
        )
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    duplicates: list[tuple[str, int]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            continue
        key = str(key_node.value)
        line = key_node.start_mark.line + _OFFSET
        if key in key_lines:
            duplicates.append((key, line))
        key_lines[key] = line
        if isinstance(value_node, SequenceNode):
            item_lines[key] = [item.start_mark.line + _OFFSET for item in value_node.value]
    data = {str(k): v for k, v in value.items()}
    return _Loaded(data, key_lines, item_lines, duplicates)
