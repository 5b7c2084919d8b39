"""Write-audit-publish on PostgreSQL: dbt builds the schema `work`; analysts read the schema `main`.

Publishing audits `work` against `main` (the same blocking checks as on DuckDB, publish.audit),
then, in one transaction, copies the analysts' tables into a new schema, renames the current
`main` to `publication_<when it was published>` and the new schema to `main`. PostgreSQL's DDL
is transactional: a reader sees the old `main` or the new one, never a half-built one, and a
failed publish leaves nothing behind. A query running during the swap keeps reading the tables
it started on (they are renamed, not dropped). The last ZONESTAT_KEEP_SNAPSHOTS publications
stay (`main` and `publication_*` schemas), readable by the analysts' role.
"""

from __future__ import annotations

import os

import psycopg2.errors
from psycopg2 import sql

from orchestration.publish import (
    Publication,
    PublishBlocked,
    analyst_tables,
    audit,
    keep_snapshots,
    publication_stamp,
)
from zonestat import warehouse
from zonestat.warehouse import PUBLISHED_SCHEMA, WORK_SCHEMA

PUBLICATION_PREFIX = "publication_"
_STAMP_NOTE = "zonestat publication "  # the schema's comment: when it was published


def reader_role() -> str:
    """The analysts' read-only role (ZONESTAT_PG_READER, default zonestat_reader)."""
    return os.environ.get("ZONESTAT_PG_READER", "zonestat_reader")


def ensure_reader_role(cur) -> sql.Identifier:
    """The read-only role, created when missing; it logs in with ZONESTAT_PG_READER_PASSWORD when set.
    Its sessions are read-only and find the published tables without a schema name."""
    role = sql.Identifier(reader_role())
    cur.execute("select 1 from pg_roles where rolname = %s", (reader_role(),))
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} nologin").format(role))
    password = os.environ.get("ZONESTAT_PG_READER_PASSWORD")
    if password:
        cur.execute(sql.SQL("alter role {} login password %s").format(role), (password,))
    cur.execute(sql.SQL("grant connect on database {} to {}").format(
        sql.Identifier(cur.connection.info.dbname), role))
    cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
    cur.execute(sql.SQL("alter role {} set search_path = {}").format(role, sql.Identifier(PUBLISHED_SCHEMA)))
    return role


def publication_schemas(cur) -> list[str]:
    """The earlier publications' schemas, oldest first (their names hold when they were published)."""
    cur.execute("select nspname from pg_namespace where starts_with(nspname, %s) order by 1", (PUBLICATION_PREFIX,))
    return [r[0] for r in cur.fetchall()]


def publish_on_postgres(h) -> Publication:
    stamp = publication_stamp()
    incoming = sql.Identifier(f"zonestat_incoming_{stamp.lower()}")
    with warehouse.work(h) as w:
        # One snapshot of `work` for the audit and the copy: what was audited is what is published.
        w.con.set_session(isolation_level="REPEATABLE READ")
        has_main = bool(w.tables(PUBLISHED_SCHEMA))
        counts, problems, changes = audit(w, (WORK_SCHEMA, None), (PUBLISHED_SCHEMA, None) if has_main else None)
        if problems:
            w.con.rollback()
            raise PublishBlocked("; ".join(problems))
        with w.con.cursor() as cur:
            role = ensure_reader_role(cur)
            cur.execute(sql.SQL("create schema {}").format(incoming))
            for table in analyst_tables(w.tables(WORK_SCHEMA)):
                cur.execute(sql.SQL("create table {}.{} as table {}.{}").format(
                    incoming, sql.Identifier(table), sql.Identifier(WORK_SCHEMA), sql.Identifier(table)))
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(incoming, role))
            cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(incoming, role))
            cur.execute(sql.SQL("comment on schema {} is %s").format(incoming), (_STAMP_NOTE + stamp,))
            if has_main:
                cur.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                            (PUBLISHED_SCHEMA,))
                note = cur.fetchone()[0] or ""
                # a `main` zonestat did not publish is named by when it was replaced
                previous_stamp = note.removeprefix(_STAMP_NOTE) if note.startswith(_STAMP_NOTE) else stamp
                cur.execute(sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(PUBLISHED_SCHEMA), sql.Identifier(PUBLICATION_PREFIX + previous_stamp.lower())))
            cur.execute(sql.SQL("alter schema {} rename to {}").format(incoming, sql.Identifier(PUBLISHED_SCHEMA)))
    # committed: now the oldest publications go, each only if no reader is using it right now
    pruned = _prune(h)
    return Publication(warehouse.postgres_address(PUBLISHED_SCHEMA),
                       f"{PUBLISHED_SCHEMA} (published {stamp})", counts,
                       changes + [f"older publication dropped: {name}" for name in pruned])


def _prune(h) -> list[str]:
    dropped = []
    with warehouse.work(h) as w, w.con.cursor() as cur:
        older = publication_schemas(cur)
        for name in older[:max(0, len(older) - (keep_snapshots() - 1))]:
            try:
                cur.execute("set local lock_timeout = '2s'")
                cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
                w.con.commit()
                dropped.append(name)
            except psycopg2.errors.LockNotAvailable:  # a reader holds it: it goes at the next publication
                w.con.rollback()
    return dropped
