"""Run one benchmark on two commits, alternately, and print each run's summary line.

For claims of the form "no worse than before" (a refactoring, a check added to every
request): both commits are exported with ``git archive`` into a temporary directory and the
benchmark script of each runs its own code (``PYTHONPATH`` and the working directory point at
the export), in the order A B B A ... so a machine that slows down over the runs weighs on
both. Each run's last line starting with the script's name (``crawl_speed:``, ``scale:``) is
printed, labelled with its commit.

    .venv/bin/python bench/compare_commits.py 578be88 HEAD crawl_speed.py --rounds 1
    .venv/bin/python bench/compare_commits.py 578be88 HEAD scale_memory.py --items 12000 \\
        --milestones 2000,5000,10000 --pairs 1

Only 127.0.0.1 is contacted (the benchmarks' own rule); the exports are removed on exit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def export(commit: str, into: Path) -> Path:
    tree = into / commit.replace("/", "_")
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def run(tree: Path, script: str, args: list[str]) -> tuple[int, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, str(tree / "bench" / script), *args], cwd=tree,
                          env=env, capture_output=True, text=True)
    return done.returncode, done.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the commit to compare against (e.g. before a change)")
    parser.add_argument("b", help="the commit to compare (e.g. HEAD)")
    parser.add_argument("script", help="a script in bench/, e.g. crawl_speed.py")
    parser.add_argument("--pairs", type=int, default=2, help="A B (then B A ...) pairs (2)")
    args, rest = parser.parse_known_args(argv)
    prefix = args.script.removesuffix(".py").split("_")[0]
    commits = {c: subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", c],
                                 check=True, capture_output=True, text=True).stdout.strip()
               for c in (args.a, args.b)}
    with tempfile.TemporaryDirectory(prefix="newscrawl-compare-") as tmp:
        trees = {c: export(commits[c], Path(tmp)) for c in (args.a, args.b)}
        order = [args.a, args.b]
        for n in range(args.pairs):
            for commit in order if n % 2 == 0 else order[::-1]:
                code, lines = run(trees[commit], args.script, rest)
                summary = [line for line in lines if line.startswith(prefix)]
                print(f"{commits[commit]} (exit {code}): "
                      + (summary[-1] if summary else "no summary line; last: "
                         + (lines[-1] if lines else "(no output)")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
