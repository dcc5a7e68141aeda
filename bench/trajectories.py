"""Scripted model turns shared by the benches that compare harnesses on one trajectory.

Each is what a model would answer, turn by turn, on the notes service of `agent_overhead.make_project`;
`{workdir}` and `{task_id}` are filled from the task prompt by the fake provider.
"""

from __future__ import annotations

from typing import Any

MARKER = {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "done"}


def _call(tool: str, **inputs: Any) -> dict[str, Any]:
    return {"tool": tool, "input": inputs}


def short_turns() -> list[dict[str, Any]]:
    return [
        {"text": "Reading the README first.", "tool_calls": [_call("Read", file_path="{workdir}/README.md")]},
        {"tool_calls": [{"tool": "Write", "input": MARKER}]},
        {"text": "Nothing to change: the README already says what the service does."},
    ]


def seed_turns() -> list[dict[str, Any]]:
    """A backend task as the seed's process describes it: explore, implement, verify, mark, report."""
    fix = (
        "    row = connect(path).execute('SELECT * FROM notes WHERE id = ?', (note_id,)).fetchone()\n"
        "    if row is None:\n        raise LookupError(f'note {note_id} not found')\n"
    )
    test = (
        "import pytest\n\nfrom notes.routes import get_note\n\n\ndef test_missing_note(tmp_path):\n"
        "    with pytest.raises(LookupError):\n        get_note(str(tmp_path / 'x.db'), 1)\n"
    )
    old = (
        "    # TODO: 404 when missing\n"
        "    row = connect(path).execute('SELECT * FROM notes WHERE id = ?', (note_id,)).fetchone()\n"
    )
    return [
        {
            "text": "Looking at the layout and where notes are fetched.",
            "tool_calls": [
                _call("Glob", pattern="**/*.py"),
                _call("Grep", pattern="def get_note", path="{workdir}/src", output_mode="content"),
            ],
        },
        {
            "tool_calls": [
                _call("Read", file_path="{workdir}/src/notes/routes.py"),
                _call("Read", file_path="{workdir}/tests/test_routes.py"),
            ]
        },
        {
            "text": "get_note should fail clearly for a missing id.",
            "tool_calls": [
                _call("Edit", file_path="{workdir}/src/notes/routes.py", old_string=old, new_string=fix)
            ],
        },
        {"tool_calls": [_call("Write", file_path="{workdir}/tests/test_missing.py", content=test)]},
        {
            "tool_calls": [
                _call(
                    "Bash",
                    command="cd {workdir} && python3 -m py_compile src/notes/routes.py tests/test_missing.py "
                    "&& echo compiled",
                    description="Check the changed files compile",
                )
            ]
        },
        {"tool_calls": [{"tool": "Write", "input": MARKER}]},
        {"text": "Done: get_note raises LookupError for a missing note, with a test; marker written."},
    ]


def long_turns(turns: int = 30) -> list[dict[str, Any]]:
    from agent_overhead import exploring_script

    return exploring_script(turns)


TRAJECTORIES = {"short": short_turns, "seed": seed_turns, "long": long_turns}
