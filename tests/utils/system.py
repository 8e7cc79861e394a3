"""What the tests need from the machine: Debian's Chromium, redis-server and PostgreSQL.

The README's test command is ``pip install -e '.[test]' && python -m pytest -q``; on a fresh
Debian machine those servers are missing, and pip cannot install them. ``ensure_packages``
(run by ``tests/conftest.py`` when the session starts) installs whichever is missing with
apt-get, as root, so that command passes as it is written; anywhere else it says in one line
what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

#: Debian package -> how to tell it is installed.
PACKAGES = {
    "chromium": lambda: shutil.which("chromium") is not None,
    "redis-server": lambda: shutil.which("redis-server") is not None,
    # PostgreSQL's server binaries (initdb, pg_ctl), which Debian keeps off the PATH.
    "postgresql": lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
}


def missing_packages() -> list[str]:
    return [name for name, installed in PACKAGES.items() if not installed()]


def ensure_packages() -> None:
    """Install the missing packages with apt-get; RuntimeError in one line if it cannot."""
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"the tests need Debian's {', '.join(missing)}: "
                           f"apt-get install -y {' '.join(missing)} (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"{' '.join(command[:2])} failed for {', '.join(missing)}: {last}")
    still = missing_packages()
    if still:
        raise RuntimeError(f"apt-get installed {', '.join(missing)} but "
                           f"{', '.join(still)} is still missing")
