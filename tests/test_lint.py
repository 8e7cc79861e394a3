"""The code stays as clean as it is: ruff (complexity at most 12, no stale ``noqa``) and mypy
(no errors in ``newscrawl/``) run with the tests, as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "newscrawl", "tests", "bench", "scripts")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_finds_nothing():
    result = run("mypy", "newscrawl")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
