"""The child side of `grep_worker`: run one pure-Python search and write its hits as JSON.

`python -m shopfloor.tools.grep_child SPEC OUT` reads the search from the JSON file SPEC and writes the
hits to OUT; it exits 3 (message on stderr) when the pattern is not a valid regex. It imports only the
search engine (not asyncio), so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shopfloor.tools.grep_fallback import search_python
from shopfloor.tools.grep_search import PatternError, SearchSpec, SearchTimeout

PATTERN_ERROR = 3


def spec_from_json(data: dict[str, Any]) -> SearchSpec:
    data["root"] = Path(data["root"])
    for key in ("globs", "type_globs"):
        data[key] = tuple(data[key])
    return SearchSpec(**data)


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    spec = spec_from_json(json.loads(Path(spec_path).read_text(encoding="utf-8")))
    try:
        hits = search_python(spec)
    except PatternError as err:
        print(err, file=sys.stderr)
        return PATTERN_ERROR
    except SearchTimeout:
        print("SearchTimeout", file=sys.stderr)
        return 1
    rows = [[h.path, h.matched, [list(line) for line in h.lines], h.gaps] for h in hits]
    Path(out_path).write_text(json.dumps(rows), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
