"""What each step of a run is given as a Dagster resource: the home it works in. A step finds its
paths here and hands dbt its own as variables (orchestration/dbt.py), not through the process's
environment."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from zonestat.config import Home


class ZonestatHome(dg.ConfigurableResource):
    """The ZONESTAT_HOME a run works in: inbox, landing, work database, publications."""

    root: str

    def home(self) -> Home:
        return Home(Path(self.root)).ensure()
