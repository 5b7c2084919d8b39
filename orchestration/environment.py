"""The process environment each step needs, derived from ZONESTAT_HOME when a run starts."""

from __future__ import annotations

import os
import shutil

from zonestat.config import ROOT_DAGSTER_YAML, Home, home


def prepare(h: Home | None = None) -> Home:
    """Create the home's folders and point Dagster and dbt at them (defaults only: set values win)."""
    h = (h or home()).ensure()
    os.environ["ZONESTAT_HOME"] = str(h.root)
    os.environ.setdefault("DAGSTER_HOME", str(h.dagster_home))
    os.environ["ZONESTAT_LANDING"] = str(h.landing)
    os.environ["ZONESTAT_WORK_DB"] = str(h.work_db)
    os.environ["DBT_TARGET_PATH"] = str(h.dbt_target)
    os.environ["DBT_LOG_PATH"] = str(h.dbt_logs)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    instance_yaml = h.dagster_home / "dagster.yaml"
    if not instance_yaml.exists() or instance_yaml.read_bytes() != ROOT_DAGSTER_YAML.read_bytes():
        shutil.copyfile(ROOT_DAGSTER_YAML, instance_yaml)
    return h
