"""Options several commands take, spelled once so that they read alike everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DirOpt = Annotated[Path, typer.Option("--dir", help="Project directory.", metavar="DIR")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")]
NoSandboxOpt = Annotated[
    bool,
    typer.Option(
        "--no-sandbox", help="Run agents' commands and the gate's checks unconfined, on purpose.", metavar=""
    ),
]
