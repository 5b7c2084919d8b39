"""Write-audit-publish on PostgreSQL: dbt builds the schema `work`; analysts read the schema `main`.

Publishing audits `work` against `main` (the same blocking checks as on DuckDB, publish.audit),
then, in one transaction, copies the analysts' tables into a new schema, renames the current
`main` to `publication_<when it was published>` and the new schema to `main`. PostgreSQL's DDL
is transactional: a reader sees the old `main` or the new one, never a half-built one, and a
failed publish leaves nothing behind. A query running during the swap keeps reading the tables
it started on (they are renamed, not dropped). The last ZONESTAT_KEEP_SNAPSHOTS publications
stay as `publication_*` schemas, readable by the analysts' role.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import psycopg2.errors

from orchestration.publish import Publication, PublishBlocked, analyst_tables, audit, keep_snapshots, table_names
from zonestat import warehouse
from zonestat.warehouse import PUBLISHED_SCHEMA, WORK_SCHEMA

PUBLICATION_PREFIX = "publication_"
_STAMP_NOTE = "zonestat publication "  # the schema's comment: when it was published


def reader_role() -> str:
    """The analysts' read-only role (ZONESTAT_PG_READER, default zonestat_reader)."""
    return os.environ.get("ZONESTAT_PG_READER", "zonestat_reader")


def ensure_reader_role(cur) -> str:
    """The read-only role, created when missing: it can log in when ZONESTAT_PG_READER_PASSWORD is set,
    else analysts' own roles are granted it (`grant zonestat_reader to alice`)."""
    role, password = reader_role(), os.environ.get("ZONESTAT_PG_READER_PASSWORD")
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    if cur.fetchone() is None:
        cur.execute(f'create role "{role}" nologin')
    if password:
        cur.execute(f'alter role "{role}" login password %s', (password,))
    cur.execute(f'grant connect on database "{_database(cur)}" to "{role}"')
    # Everything it can reach is read: a session of the role is read-only even where a grant is too wide.
    cur.execute(f'alter role "{role}" set default_transaction_read_only = on')
    return role


def _database(cur) -> str:
    cur.execute("select current_database()")
    return cur.fetchone()[0]


def _schemas(cur, like: str) -> list[str]:
    cur.execute("select nspname from pg_namespace where nspname like %s order by 1", (like,))
    return [r[0] for r in cur.fetchall()]


def publish_on_postgres(h) -> Publication:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    incoming = f"zonestat_incoming_{stamp.lower()}"
    with warehouse.work(h) as w:
        cur = w.con.cursor()
        has_main = bool(_schemas(cur, PUBLISHED_SCHEMA))
        counts, problems, changes = audit(w, (WORK_SCHEMA, None), (PUBLISHED_SCHEMA, None) if has_main else None)
        if problems:
            w.con.rollback()
            raise PublishBlocked("; ".join(problems))
        role = ensure_reader_role(cur)
        cur.execute(f"create schema {incoming}")
        for table in analyst_tables(table_names(w, WORK_SCHEMA)):
            cur.execute(f'create table {incoming}."{table}" as table {WORK_SCHEMA}."{table}"')
        cur.execute(f'grant usage on schema {incoming} to "{role}"')
        cur.execute(f'grant select on all tables in schema {incoming} to "{role}"')
        cur.execute(f"comment on schema {incoming} is %s", (_STAMP_NOTE + stamp,))
        if has_main:
            cur.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                        (PUBLISHED_SCHEMA,))
            note = cur.fetchone()[0] or ""
            before = note.removeprefix(_STAMP_NOTE) if note.startswith(_STAMP_NOTE) else f"before_{stamp}"
            cur.execute(f"alter schema {PUBLISHED_SCHEMA} rename to {PUBLICATION_PREFIX}{before.lower()}")
        cur.execute(f"alter schema {incoming} rename to {PUBLISHED_SCHEMA}")
    # committed: now the oldest publications go, each only if no reader is using it right now
    pruned = _prune(h)
    where = w.where.rsplit(".", 1)[0]
    return Publication(f"{where}, schema {PUBLISHED_SCHEMA}", f"{PUBLISHED_SCHEMA} (published {stamp})", counts,
                       changes + [f"older publication dropped: {name}" for name in pruned])


def _prune(h) -> list[str]:
    dropped = []
    with warehouse.work(h) as w, w.con.cursor() as cur:
        older = _schemas(cur, PUBLICATION_PREFIX + "%")
        for name in older[:max(0, len(older) - (keep_snapshots() - 1))]:
            try:
                cur.execute("set local lock_timeout = '2s'")
                cur.execute(f"drop schema {name} cascade")
                w.con.commit()
                dropped.append(name)
            except psycopg2.errors.LockNotAvailable:  # a reader holds it: it goes at the next publication
                w.con.rollback()
    return dropped
