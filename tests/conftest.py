"""Shared fixtures: replicas on free loopback ports, and the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newscrawl.replica import ReplicaConfig
from newscrawl.replica.server import ReplicaServer
from tests.utils.client import Client
from tests.utils.postgres_server import postgres  # noqa: F401 - a fixture for every test
from tests.utils.system import ensure_packages


def pytest_sessionstart(session: pytest.Session) -> None:
    """Chromium, redis-server and PostgreSQL come from Debian: installed here when missing,
    so the README's test command passes on a fresh machine as it is written."""
    try:
        ensure_packages()
    except RuntimeError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaServer]:
    """A 300-article replica shared by read-only tests (never advance its clock)."""
    with ReplicaServer(ReplicaConfig(articles=300, seed=1, crawl_delay=0)) as server:
        yield server


@pytest.fixture()
def fresh_replica() -> Iterator[ReplicaServer]:
    """A replica of its own, for tests that move the clock, faults or stats."""
    with ReplicaServer(ReplicaConfig(articles=300, seed=7, crawl_delay=0)) as server:
        yield server


@pytest.fixture(scope="session")
def client(replica: ReplicaServer) -> Client:
    return Client(replica.base_url)
