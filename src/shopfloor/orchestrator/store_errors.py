"""What goes wrong with the state database, said so that a person knows what to do about it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StoreError(RuntimeError):
    """The state database cannot be used (damaged, written by a newer shopfloor, or the disk is full)."""


def describe_db_error(path: Path, err: sqlite3.Error) -> str:
    """One line naming what is wrong with the state database and what to do about it."""
    said = str(err)
    if "full" in said or "I/O" in said:
        return f"cannot write {path}: {said}; free some disk space, then run the command again"
    if "not a database" in said or "malformed" in said or "no such" in said or "encrypted" in said:
        return (
            f"{path} is damaged ({said}); move it aside (`mv {path} {path}.bad`) and run shopfloor again: "
            "the run history in it is lost, the work on the shopfloor/* branches is not"
        )
    return f"cannot use {path}: {said}"
