"""What one Grep search asks for and what it finds: the shape both engines (ripgrep, Python) share."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

SearchMode = Literal["files", "content", "count"]

# File types for `type`, as globs on the file name. Both engines use this table (ripgrep gets it via
# --type-add), so a type means the same files whichever engine runs and whatever rg version is installed.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "c": ("*.c", "*.h"),
    "cmake": ("*.cmake", "CMakeLists.txt"),
    "config": ("*.cfg", "*.conf", "*.config", "*.ini"),
    "cpp": ("*.cpp", "*.cc", "*.cxx", "*.c++", "*.hpp", "*.hh", "*.hxx", "*.h", "*.inl", "*.C", "*.H"),
    "cs": ("*.cs",),
    "css": ("*.css", "*.scss", "*.sass", "*.less"),
    "csv": ("*.csv",),
    "dart": ("*.dart",),
    "docker": ("*Dockerfile*", "*.dockerfile"),
    "elixir": ("*.ex", "*.exs", "*.eex", "*.heex"),
    "erlang": ("*.erl", "*.hrl"),
    "go": ("*.go",),
    "graphql": ("*.graphql", "*.gql"),
    "h": ("*.h", "*.hpp"),
    "haskell": ("*.hs", "*.lhs"),
    "html": ("*.html", "*.htm", "*.ejs"),
    "java": ("*.java", "*.jsp", "*.jspx", "*.properties"),
    "jinja": ("*.j2", "*.jinja", "*.jinja2"),
    "js": ("*.js", "*.jsx", "*.mjs", "*.cjs", "*.vue"),
    "json": ("*.json", "composer.lock"),
    "jsonl": ("*.jsonl",),
    "julia": ("*.jl",),
    "kotlin": ("*.kt", "*.kts"),
    "lock": ("*.lock", "package-lock.json"),
    "log": ("*.log",),
    "lua": ("*.lua",),
    "make": ("[Mm]akefile", "GNUmakefile", "*.mk", "*.mak"),
    "md": ("*.md", "*.markdown", "*.mdown", "*.mkdn", "*.mdx"),
    "nix": ("*.nix",),
    "ocaml": ("*.ml", "*.mli"),
    "perl": ("*.pl", "*.pm", "*.t"),
    "php": ("*.php", "*.phtml"),
    "proto": ("*.proto",),
    "py": ("*.py", "*.pyi"),
    "r": ("*.R", "*.r", "*.Rmd"),
    "rst": ("*.rst",),
    "ruby": ("*.rb", "*.gemspec", "*.rake", "Gemfile", "Rakefile", "config.ru"),
    "rust": ("*.rs",),
    "scala": ("*.scala", "*.sbt"),
    "sh": ("*.sh", "*.bash", "*.zsh", "*.ksh", ".bashrc", ".zshrc", ".profile", ".bash_profile"),
    "sql": ("*.sql", "*.psql"),
    "svelte": ("*.svelte",),
    "swift": ("*.swift",),
    "tex": ("*.tex", "*.bib", "*.sty", "*.cls"),
    "tf": ("*.tf", "*.tfvars"),
    "toml": ("*.toml", "Cargo.lock"),
    "ts": ("*.ts", "*.tsx", "*.mts", "*.cts"),
    "txt": ("*.txt",),
    "vue": ("*.vue",),
    "xml": ("*.xml", "*.xsd", "*.xsl", "*.xslt", "*.xhtml", "*.dtd"),
    "yaml": ("*.yaml", "*.yml"),
    "zig": ("*.zig",),
}
TYPE_ALIASES = {
    "markdown": "md",
    "python": "py",
    "javascript": "js",
    "typescript": "ts",
    "rs": "rust",
    "protobuf": "proto",
    "terraform": "tf",
    "jl": "julia",
    "yml": "yaml",
    "golang": "go",
    "csharp": "cs",
}


def type_globs(name: str) -> tuple[str, ...] | None:
    """The file-name globs of type `name` (or an alias), None when unknown."""
    key = name.strip().lower()
    return FILE_TYPES.get(TYPE_ALIASES.get(key, key))


@dataclass(frozen=True)
class SearchSpec:
    """One search, already validated: a resolved root and engine-neutral options."""

    pattern: str
    root: Path
    """A resolved file or directory inside the workspace."""
    mode: SearchMode
    globs: tuple[str, ...] = ()
    type_globs: tuple[str, ...] = ()
    ignore_case: bool = False
    multiline: bool = False
    before: int = 0
    after: int = 0
    timeout_s: float = 60.0


class Line(NamedTuple):
    """One printed line of a file (a tuple: tens of thousands are made per search)."""

    number: int
    """1-based."""
    text: str
    is_match: bool
    """False for a context line."""


class FileHits(NamedTuple):
    """What one file contributed to a search."""

    path: str
    matched: int = 0
    """Matching lines (matches, in multiline mode); filled in files and count modes only."""
    lines: Sequence[Line] = ()
    """Printed lines, in order (content mode only)."""
    gaps: int = 0
    """Breaks between printed lines that are not adjacent; each shows as `--` when context is on."""


class PatternError(Exception):
    """The regex does not compile; the message is ripgrep-style text naming the problem."""


class SearchTimeout(Exception):
    """The search ran past its time limit."""


def decode_text(data: bytes) -> str | None:
    """File bytes as text the way ripgrep sees them (BOMs honoured), or None for a binary file."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        return None if "\x00" in text else text
    if b"\x00" in data:
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data.decode("utf-8", errors="replace")
