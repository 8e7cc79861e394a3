"""A real PostgreSQL server for the tests: Debian's binaries, a throwaway cluster, one session.

``postgres`` starts ``postgres`` on 127.0.0.1 on a free port (its unix socket in the cluster's
own temporary directory, trust authentication) and stops it when the session ends. The server
refuses to run as root, so when the tests run as root it runs as the ``postgres`` system user
that Debian's package creates. ``postgres.database()`` gives each test a fresh database.

Every test can ask for it: ``tests/conftest.py`` imports the fixture.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest

INSTALL_HINT = "install Debian's postgresql package (apt-get install -y postgresql; .ci/run does)"


def postgres_bindir() -> Path | None:
    """The newest of Debian's /usr/lib/postgresql/<version>/bin, else initdb on the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"
    data_dir: Path | None = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash or a lost machine would stop it."""
        import signal

        assert self.data_dir is not None
        pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)

    def __post_init__(self) -> None:
        self._names = count(1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def database(self, name: str | None = None) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = name or f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with start_postgres() as server:
        yield server


@contextlib.contextmanager
def start_postgres() -> Iterator[PostgresServer]:
    """A throwaway cluster on a free loopback port, stopped (immediately) on exit."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail(f"PostgreSQL is not installed: {INSTALL_HINT}")
    as_root = os.geteuid() == 0
    # A directory the server's user owns: under /tmp, as pytest's own temporary directories
    # (mode 0700, owned by root) cannot be entered by the postgres user.
    base = Path(tempfile.mkdtemp(prefix="newscrawl-pg-"))
    if as_root:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)

    def run(*args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if as_root else list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=base)
        if done.returncode != 0:
            log = (base / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args)} failed: {done.stderr.strip()}\n{tail}")

    data = base / "data"
    port = free_port()
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
        "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
               "-c max_connections=60")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"),
        "-w", "-t", "60", "start")
    try:
        yield PostgresServer("127.0.0.1", port, data_dir=data)
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        # A test may have killed the server already: then there is nothing to stop.
        subprocess.run(["runuser", "-u", "postgres", "--", *stop] if as_root else stop,
                       capture_output=True, timeout=120, cwd=base)
        shutil.rmtree(base, ignore_errors=True)
