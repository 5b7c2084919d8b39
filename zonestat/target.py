"""Which engine the warehouse is built on, and how to reach it.

ZONESTAT_DBT_TARGET chooses dbt's target (dbt_project/profiles.yml): `duckdb`, the embedded
default, or `postgres`, reached through the ZONESTAT_PG_* variables that dagster.yaml and the
profile also read.
"""

from __future__ import annotations

import os

from zonestat.settings import setting

DUCKDB, POSTGRES = "duckdb", "postgres"
TARGETS = (DUCKDB, POSTGRES)


class TargetUnusable(RuntimeError):
    """The engine the settings name cannot be used as they stand: said in a line, not a traceback."""


def dbt_target() -> str:
    target = setting("ZONESTAT_DBT_TARGET")
    if target not in TARGETS:
        raise TargetUnusable(f"ZONESTAT_DBT_TARGET={target!r}: zonestat builds on {' or '.join(TARGETS)}")
    return target


def on_postgres() -> bool:
    return dbt_target() == POSTGRES


def pg_session_options() -> str:
    """Settings of zonestat's sessions (its own and dbt's), as libpq's `options` says them: the
    memory a sort or a hash may take before it spills to disk (ZONESTAT_PG_WORK_MEM), since
    the build's checks and lookups sort and hash whole fact tables and PostgreSQL's default is
    sized for many small queries."""
    return f"-c work_mem={setting('ZONESTAT_PG_WORK_MEM')}"


def pg_settings() -> dict[str, str]:
    """libpq's keywords from the ZONESTAT_PG_* variables (the port defaults to 5432)."""
    missing = [n for n in ("ZONESTAT_PG_HOST", "ZONESTAT_PG_USER") if not os.environ.get(n)]
    if missing:
        raise TargetUnusable(f"ZONESTAT_DBT_TARGET=postgres needs {', '.join(missing)} (see the README)")
    return {
        "host": os.environ["ZONESTAT_PG_HOST"],
        "port": setting("ZONESTAT_PG_PORT"),
        "user": os.environ["ZONESTAT_PG_USER"],
        "password": os.environ.get("ZONESTAT_PG_PASSWORD", ""),
        "dbname": setting("ZONESTAT_PG_DATABASE"),
        "options": pg_session_options(),
    }


def connect_postgres(**overrides: str):
    """A psycopg2 connection to the warehouse's PostgreSQL database."""
    import psycopg2

    settings = pg_settings()
    if "options" in overrides:  # the caller's settings beside zonestat's
        overrides["options"] = f"{settings['options']} {overrides['options']}"
    settings |= overrides
    try:
        return psycopg2.connect(**settings)
    except psycopg2.OperationalError as refused:  # no server there, a wrong password, no such database
        reason = " ".join(str(refused).split())
        raise TargetUnusable(
            f"cannot connect to PostgreSQL at {settings['host']}:{settings['port']}, database {settings['dbname']}, "
            f"as {settings['user']}: {reason} (ZONESTAT_PG_HOST, ZONESTAT_PG_PORT, ZONESTAT_PG_DATABASE, "
            "ZONESTAT_PG_USER and ZONESTAT_PG_PASSWORD; see the README)") from refused
