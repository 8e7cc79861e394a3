"""The README's two set-up commands are what CI and a new user run: CI runs the test command
exactly as the README writes it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && newscrawl demo"
TESTS = ("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && "
         "python -m pytest -q")


def test_the_readme_gives_both_commands_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"\n{DEMO}\n" in readme and f"\n{TESTS}\n" in readme
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert commands == [TESTS]
