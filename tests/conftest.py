"""Fixtures every test module may use: a temporary ZONESTAT_HOME per test, and the process
environment put back after each test. The helpers that run the real refresh job in a home are in
tests/fixtures/homes.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.homes import environment_kept, pointed_at
from zonestat.config import Home


@pytest.fixture(autouse=True)
def _environment_put_back() -> Iterator[None]:
    """Each test leaves the process environment as it found it (a module's shared home, set up
    before, is part of what it found)."""
    with environment_kept():
        yield


@pytest.fixture
def zhome(tmp_path: Path) -> Home:
    """A fresh ZONESTAT_HOME (and DAGSTER_HOME inside it) for one test."""
    return pointed_at(Home(tmp_path / "zonestat-home"))
