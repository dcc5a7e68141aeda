"""`shopfloor logs`: what agents and programs wrote, shown and never obeyed by the terminal."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cli.test_first_run import cli

# OSC 52 asks the terminal to put "Hello" on the clipboard; the CSI sequence turns text red.
CLIPBOARD = "\x1b]52;c;SGVsbG8=\x07"


def test_logs_show_control_characters_and_indent_multi_line_output(tmp_path: Path) -> None:
    command = r"printf '\033]52;c;SGVsbG8=\007first line\n\033[31msecond line\n'"
    script = tmp_path / "script.yaml"
    script.write_text(
        yaml.safe_dump([{"tool_calls": [{"tool": "Bash", "input": {"command": command}}]}, "All done."])
    )
    ran = cli(
        "agent", "run", "general-purpose", "--task-id", "TASK-001", "--objective", "Print.",
        "--workdir", str(tmp_path), "--model", f"scripted:{script}", cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 1, ran.stderr  # no marker written: that is fine here
    proc = cli("logs", "TASK-001", "--dir", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "<- Bash: \\x1b]52;c;SGVsbG8=\\x07first line\n" in proc.stdout
    # The second line of the output sits under the first, not at the left margin.
    lines = proc.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  <- Bash: "))
    assert lines[first + 1] == " " * len("  <- Bash: ") + "\\x1b[31msecond line"
