"""The settings zonestat reads from its environment, each with its default, written once.

The README's settings table lists each with its default (tests/test_readme.py holds the two together).
They are read when called, never at import: a test, a worker process or a run sees the
environment it was given. dbt's profiles.yml reads the variables it needs itself.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "ZONESTAT_HOME": ".zonestat",
    "ZONESTAT_DBT_TARGET": "duckdb",
    # the inbox and the readers
    "ZONESTAT_INBOX_SETTLE_SECONDS": "2",  # unchanged this long before a file is taken
    "ZONESTAT_READ_SECONDS": "120",  # a file's reader process, at most
    "ZONESTAT_READ_MEMORY_MB": "4096",
    "ZONESTAT_MAX_FILE_MB": "20",
    "ZONESTAT_MAX_UNZIPPED_MB": "200",
    "ZONESTAT_MAX_SHEET_CELLS": "2000000",  # from A1 to a sheet's farthest cell
    "ZONESTAT_WORKERS": "8",  # parsing files and the suggestion search; never more than the cores
    "ZONESTAT_PROGRESS_SECONDS": "10",  # a progress line in a log this often
    # DuckDB may use this much memory per process before it spills to disk (dbt's profile reads the
    # same variable). DuckDB's own default, 80% of the machine, lets a refresh grow past what a
    # shared 2-core machine can give it; this one keeps a whole refresh under bench refresh's memory
    # target.
    "ZONESTAT_DUCKDB_MEMORY": "1GB",
    # the disk
    "ZONESTAT_SPACE_FACTOR": "9",
    "ZONESTAT_KEEP_SNAPSHOTS": "7",
    "ZONESTAT_KEEP_DBT_RUNS": "5",
    "ZONESTAT_KEEP_RUNS": "500",
    # PostgreSQL (WITHOUT_DEFAULT: its host, user and passwords)
    "ZONESTAT_PG_PORT": "5432",
    "ZONESTAT_PG_DATABASE": "zonestat",
    "ZONESTAT_PG_WORK_MEM": "128MB",
    "ZONESTAT_PG_READER": "zonestat_reader",
}

# Read where they are needed, with nothing to fall back on: a server's address and its secrets.
WITHOUT_DEFAULT = ("ZONESTAT_PG_HOST", "ZONESTAT_PG_USER", "ZONESTAT_PG_PASSWORD", "ZONESTAT_PG_READER_PASSWORD")


def setting(name: str) -> str:
    """The setting `name` (one of DEFAULTS) as the environment gives it, or its default."""
    return os.environ.get(name, DEFAULTS[name])
