"""Shared fixtures: a temporary ZONESTAT_HOME per test, and a helper that runs the real refresh job."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from zonestat.config import Home


def _fresh_home(root: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("ZONESTAT_HOME", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster"))
    from orchestration import environment

    return environment.prepare(Home(root))


@pytest.fixture
def zhome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A fresh ZONESTAT_HOME (and DAGSTER_HOME inside it) for one test."""
    return _fresh_home(tmp_path / "zonestat-home", monkeypatch)


@contextmanager
def module_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Home]:
    """A fresh home shared by a module's tests (one refresh for several of them); the environment
    is put back as it was when the module is done."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _fresh_home(tmp_path_factory.mktemp(name) / "home", monkeypatch)


def run_refresh(home: Home) -> bool:
    """The main job, in-process against the home's Dagster instance; True when it succeeded."""
    from dagster import DagsterInstance

    from orchestration import environment
    from orchestration.runs import refresh_in_process

    os.environ["ZONESTAT_HOME"] = str(home.root)
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    environment.prepare(home)
    with DagsterInstance.get() as instance:
        return refresh_in_process(instance).success


def query(db: Path, sql: str, params: list | None = None):
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()


def latest_metadata(home: Home, *key: str) -> dict:
    """The metadata of an asset's latest materialization in the home's Dagster instance, as values."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(home.dagster_home)) as instance:
        event = instance.get_latest_materialization_event(AssetKey(list(key)))
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}
