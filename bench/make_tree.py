"""Generate a deterministic source tree for the search benchmarks under bench/.data/tree.

About 50,000 searchable files (.py/.js/.ts/.tsx/.md/.json, some hidden) in nested package folders, plus
a git-ignored node_modules/ and dist/, and a .git folder. The same seed always gives the same bytes.

Run from the repository root:  .venv/bin/python bench/make_tree.py [--files 50000] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
TREE = DATA / "tree"
SEED = 20240611
STAMP = ".bench-tree.json"
LAYOUT = 2
FOLDERS_PER_PACKAGE = 60

VERBS = [
    "load",
    "save",
    "parse",
    "render",
    "fetch",
    "update",
    "delete",
    "create",
    "build",
    "resolve",
    "validate",
    "compute",
    "merge",
    "format",
    "sync",
    "emit",
    "handle",
    "collect",
    "apply",
    "scan",
]
NOUNS = [
    "user",
    "order",
    "invoice",
    "session",
    "token",
    "config",
    "report",
    "cache",
    "event",
    "queue",
    "record",
    "widget",
    "payload",
    "profile",
    "account",
    "message",
    "schema",
    "route",
    "metric",
    "job",
]
WORDS = [
    "the",
    "a",
    "service",
    "returns",
    "value",
    "when",
    "request",
    "fails",
    "retry",
    "later",
    "with",
    "backoff",
    "and",
    "logs",
    "error",
    "for",
    "each",
    "item",
    "in",
    "batch",
    "is",
    "not",
    "empty",
]
DIRS = [
    "core",
    "api",
    "models",
    "utils",
    "services",
    "handlers",
    "views",
    "components",
    "hooks",
    "lib",
    "db",
    "auth",
    "jobs",
    "tests",
    "schemas",
    "adapters",
    "cli",
    "config",
    "io",
    "web",
]
KINDS = [("py", 34), ("ts", 18), ("tsx", 8), ("js", 16), ("md", 12), ("json", 12)]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"


def _camel(rng: random.Random) -> str:
    return rng.choice(VERBS) + rng.choice(NOUNS).capitalize()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def py_file(rng: random.Random) -> str:
    out = ["import os", "import logging", f"from .{rng.choice(DIRS)} import {_name(rng)}", "", ""]
    out.append(f"log = logging.getLogger({rng.choice(NOUNS)!r})")
    for _ in range(rng.randint(1, 3)):
        cls = rng.choice(NOUNS).capitalize() + rng.choice(["Service", "Store", "Client", "View"])
        out += ["", "", f"class {cls}:", f'    """{_sentence(rng, 8)}"""', ""]
        for _ in range(rng.randint(2, 6)):
            fn = _name(rng) + ("_handler" if rng.random() < 0.08 else "")
            out += [f"    def {fn}(self, {rng.choice(NOUNS)}, retries=3):"]
            if rng.random() < 0.05:
                out.append(f"        # TODO: {_sentence(rng, 6)}")
            out += [
                f"        value = self.{_name(rng)}({rng.choice(NOUNS)})",
                "        if value is None:",
                f"            log.error({_sentence(rng, 5)!r})",
                f"            raise ValueError({rng.choice(NOUNS)!r})",
                f"        return value * {rng.randint(1, 999)}",
                "",
            ]
    return "\n".join(out) + "\n"


def js_file(rng: random.Random, typed: bool, jsx: bool) -> str:
    out = [f"import {{ {_camel(rng)} }} from './{rng.choice(DIRS)}/{rng.choice(NOUNS)}';"]
    if jsx or rng.random() < 0.1:
        out.append("import { useState, useEffect } from 'react';")
    out.append("")
    for _ in range(rng.randint(2, 6)):
        fn = _camel(rng)
        arg = f"{rng.choice(NOUNS)}: string" if typed else rng.choice(NOUNS)
        out.append(f"export function {fn}({arg}) {{")
        if jsx and rng.random() < 0.6:
            out.append(
                f"  const [{rng.choice(NOUNS)}, set{rng.choice(NOUNS).capitalize()}] = useState(null);"
            )
        if rng.random() < 0.05:
            out.append(f"  // TODO: {_sentence(rng, 6)}")
        out += [
            f"  const result = {_camel(rng)}({rng.randint(0, 99)});",
            f"  if (!result) console.error('{_sentence(rng, 4)}');",
            "  return result;",
            "}",
            "",
        ]
    if jsx:
        out += ["export default function View() {", f'  return <div className="{rng.choice(NOUNS)}" />;', "}"]
    return "\n".join(out) + "\n"


def md_file(rng: random.Random) -> str:
    out = [f"# {rng.choice(NOUNS).capitalize()} {rng.choice(DIRS)}", ""]
    for _ in range(rng.randint(2, 6)):
        out += [f"## {_sentence(rng, 3)}", "", _sentence(rng, 14), _sentence(rng, 11), ""]
        if rng.random() < 0.3:
            out += ["```python", f"{_name(rng)}({rng.choice(NOUNS)})", "```", ""]
    return "\n".join(out)


def json_file(rng: random.Random) -> str:
    doc = {
        "name": f"{rng.choice(NOUNS)}-{rng.choice(DIRS)}",
        "version": f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "settings": {n: rng.randint(0, 10_000) for n in rng.sample(NOUNS, 6)},
        "tags": rng.sample(WORDS, 4),
    }
    return json.dumps(doc, indent=2) + "\n"


def content_for(rng: random.Random, kind: str) -> str:
    if kind == "py":
        return py_file(rng)
    if kind == "md":
        return md_file(rng)
    if kind == "json":
        return json_file(rng)
    return js_file(rng, typed=kind in ("ts", "tsx"), jsx=kind == "tsx")


def _write(path: Path, text: str, stamp: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))


def generate(root: Path, files: int) -> int:
    """Write the tree; returns how many files were written in all."""
    rng = random.Random(SEED)
    kinds = [k for k, w in KINDS for _ in range(w)]
    stamp = 1_700_000_000 * 10**9
    written = 0
    packages = max(files // 1000, 1)
    # About 60 folders a package, so a folder holds 15-20 files, as in real repositories.
    folders = [
        ["/".join(rng.choice(DIRS) for _ in range(rng.randint(1, 4))) for _ in range(FOLDERS_PER_PACKAGE)]
        for _ in range(packages)
    ]
    for i in range(files):
        pkg = f"packages/pkg{i % packages:03d}"
        folder = rng.choice(folders[i % packages])
        kind = rng.choice(kinds)
        hidden = rng.random() < 0.02
        name = f"{'.' if hidden else ''}{_name(rng)}_{i}.{kind}"
        _write(root / pkg / "src" / folder / name, content_for(rng, kind), stamp - i * 10**6)
        written += 1
    for i in range(files // 10):  # ignored by .gitignore: must never be searched
        sub = "node_modules" if i % 5 else "dist"
        _write(root / sub / f"lib{i % 97}" / f"index_{i}.js", js_file(rng, False, False), stamp)
        written += 1
    for i in range(200):
        _write(root / ".git" / "objects" / f"{i:02x}" / f"obj{i}", f"blob TODO {i}\n", stamp)
        written += 1
    _write(root / ".git" / "HEAD", "ref: refs/heads/main\n", stamp)
    _write(root / ".gitignore", "node_modules/\ndist/\n*.log\n", stamp)
    _write(root / ".config" / "settings.json", json_file(rng), stamp)
    return written + 3


def ensure_tree(files: int = 50_000, force: bool = False) -> Path:
    """The benchmark tree, generated once and reused while its parameters are unchanged."""
    marker = TREE / STAMP
    want = {"seed": SEED, "files": files, "layout": LAYOUT}
    if not force and marker.exists() and json.loads(marker.read_text()) == want:
        return TREE
    if TREE.exists():
        shutil.rmtree(TREE)
    TREE.mkdir(parents=True)
    total = generate(TREE, files)
    marker.write_text(json.dumps(want))
    print(f"generated {total} files under {TREE}")
    return TREE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=50_000, help="searchable files to generate")
    parser.add_argument("--force", action="store_true", help="regenerate even if the tree is current")
    args = parser.parse_args()
    print(ensure_tree(args.files, args.force))


if __name__ == "__main__":
    main()
