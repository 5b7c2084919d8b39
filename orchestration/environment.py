"""A process's defaults, derived from ZONESTAT_HOME: its Dagster home and instance settings, telemetry off."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.receive import write_whole
from zonestat.config import ROOT_DAGSTER_YAML, Home, home
from zonestat.settings import DEFAULTS


def prepare(h: Home | None = None) -> Home:
    """Create the home's folders and point this process's Dagster at them (defaults only: set values
    win). dbt is given its paths with each command (orchestration/dbt.py), and each step of a run
    its home as a resource (orchestration/resources.py)."""
    h = (h or home()).ensure()
    os.environ["ZONESTAT_HOME"] = str(h.root)
    os.environ.setdefault("DAGSTER_HOME", str(h.dagster_home))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # read by dagster.yaml's PostgreSQL storage section; the warehouse's sessions (zonestat's and
    # dbt's) take their settings from target.pg_session_options
    os.environ.setdefault("ZONESTAT_PG_PORT", DEFAULTS["ZONESTAT_PG_PORT"])
    instance_yaml = h.dagster_home / "dagster.yaml"
    if not instance_yaml.exists() or instance_yaml.read_bytes() != ROOT_DAGSTER_YAML.read_bytes():
        # Replaced whole, never rewritten in place: another process may be reading it right now.
        write_whole(instance_yaml, lambda partial: partial.write_bytes(ROOT_DAGSTER_YAML.read_bytes()))
    return h


@contextmanager
def dagster_instance() -> Iterator:
    """The Dagster instance of the prepared home.

    Dagster's SQLite storages create their tables when first opened, and two `zonestat refresh`
    started at once on a new home both tried ("table runs already exists"): the opening is
    serialised by a lock beside the storage.
    """
    from dagster import DagsterInstance

    lock_path = os.path.join(os.environ["DAGSTER_HOME"], ".zonestat-open.lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = DagsterInstance.get()  # opens (and on a new home creates) every storage
        fcntl.flock(lock, fcntl.LOCK_UN)
    with instance:
        yield instance
