"""Write-audit-publish on PostgreSQL: dbt builds the schema `work`; analysts read the schema `main`.

Publishing audits `work` against `main` (the same blocking checks as on DuckDB, publish.audit),
then, in one transaction, writes the analysts' tables into a new schema, renames the current
`main` to `publication_<when it was published>` and the new schema to `main`. PostgreSQL's DDL
is transactional: a reader sees the old `main` or the new one, never a half-built one, and a
failed publish leaves nothing behind. A query running during the swap keeps reading the tables
it started on (they are renamed, not dropped). The last ZONESTAT_KEEP_SNAPSHOTS publications
stay (`main` and `publication_*` schemas), readable by the analysts' role.

The tables built by reporter-year (publish.REPORTER_YEAR_TABLES) hold nearly all the rows, and a
refresh changes few of them. Their rows live once in the schema `zonestat_store`, each marked
with the publications that show it (from the one that wrote it until the one that replaced it);
each publication's table of that name is a view of the rows it shows. A publication writes only
the rows of the reporter-years whose versions changed and the rows whose finding flag changed,
and the store keeps one copy of what the kept publications share instead of one per publication.
A store table belongs to one way of building the facts (fingerprint.build_basis): after a build
of new code, the next publication writes a new one in full, and the old one goes with the last
publication that shows it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone

import psycopg2.errors
from psycopg2 import sql

from orchestration.fingerprint import build_basis
from orchestration.publish import (
    REPORTER_YEAR_TABLES,
    STAMP_FORMAT,
    Publication,
    PublishBlocked,
    analyst_tables,
    audit,
    keep_snapshots,
    publication_stamp,
)
from zonestat import warehouse
from zonestat.settings import setting
from zonestat.warehouse import PUBLISHED_SCHEMA, WORK_SCHEMA

PUBLICATION_PREFIX = "publication_"
STORE_SCHEMA = "zonestat_store"
_STAMP_NOTE = "zonestat publication "  # the schema's comment: when it was published


def reader_role() -> str:
    """The analysts' read-only role (ZONESTAT_PG_READER)."""
    return setting("ZONESTAT_PG_READER")


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
            previous_stamp = _published_stamp(cur)
            stamp = publication_stamp()
            if previous_stamp and _micros(stamp) <= _micros(previous_stamp):
                # the store tells publications apart by their stamps: a clock set back must not
                # make this one show what the last one replaced
                stamp = _shifted(previous_stamp, 1)
            incoming = sql.Identifier(f"zonestat_incoming_{stamp.lower()}")
            cur.execute(sql.SQL("create schema {}").format(incoming))
            cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(STORE_SCHEMA)))
            basis, publication = hashlib.sha256(build_basis(h).encode()).hexdigest()[:12], _micros(stamp)
            stored_in_full = []
            for table in analyst_tables(w.tables(WORK_SCHEMA)):
                if table in REPORTER_YEAR_TABLES:
                    if _publish_from_store(cur, table, f"{table}__{basis}", incoming, publication):
                        stored_in_full.append(table)
                else:
                    cur.execute(sql.SQL("create table {}.{} as table {}.{}").format(
                        incoming, sql.Identifier(table), sql.Identifier(WORK_SCHEMA), sql.Identifier(table)))
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(incoming, role))
            cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(incoming, role))
            cur.execute(sql.SQL("comment on schema {} is %s").format(incoming), (_STAMP_NOTE + stamp,))
            if has_main:
                # a `main` zonestat did not publish is named as if published just before this one
                cur.execute(sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(PUBLISHED_SCHEMA),
                    sql.Identifier(PUBLICATION_PREFIX + (previous_stamp or _shifted(stamp, -1)).lower())))
            cur.execute(sql.SQL("alter schema {} rename to {}").format(incoming, sql.Identifier(PUBLISHED_SCHEMA)))
    # committed: now the oldest publications go, each only if no reader is using it right now
    pruned = _prune(h)
    return Publication(warehouse.postgres_address(PUBLISHED_SCHEMA),
                       f"{PUBLISHED_SCHEMA} (published {stamp})", counts,
                       changes + [f"older publication dropped: {name}" for name in pruned],
                       "in full" if stored_in_full else f"the facts' changed rows added to {STORE_SCHEMA}")


def _published_stamp(cur) -> str | None:
    """When zonestat published the schema `main` (its comment says), or None."""
    cur.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                (PUBLISHED_SCHEMA,))
    note = next(iter(cur.fetchall()), (None,))[0] or ""
    return note.removeprefix(_STAMP_NOTE) if note.startswith(_STAMP_NOTE) else None


def _micros(stamp: str) -> int:
    """A publication's stamp (publish.publication_stamp) as microseconds since 1970: how the store
    marks the publications that show a row."""
    return (_when(stamp) - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)


def _when(stamp: str) -> datetime:
    return datetime.strptime(stamp.upper(), STAMP_FORMAT).replace(tzinfo=timezone.utc)


def _shifted(stamp: str, microseconds: int) -> str:
    return (_when(stamp) + timedelta(microseconds=microseconds)).strftime(STAMP_FORMAT)


def _publish_from_store(cur, table: str, stored: str, incoming: sql.Identifier, publication: int) -> bool:
    """`incoming.table`: a view of the rows of `work.table` kept in the store table `stored`, which
    is brought up to date first, or written in full (True) when this way of building has none yet."""
    work, store = sql.Identifier(WORK_SCHEMA, table), sql.Identifier(STORE_SCHEMA, stored)
    cur.execute("select column_name from information_schema.columns where table_schema = %s and table_name = %s "
                "order by ordinal_position", (WORK_SCHEMA, table))
    names = [r[0] for r in cur.fetchall()]
    columns = sql.SQL(", ").join(map(sql.Identifier, names))
    cur.execute("select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                (STORE_SCHEMA, stored))
    in_full = cur.fetchone() is None
    if in_full:
        cur.execute(sql.SQL("create table {} as select {}, %s::bigint as published_from, "
                            "null::bigint as published_until from {}").format(store, columns, work), (publication,))
        # a version's rows found by an index, as in work (dbt_project/macros/incremental_scope.sql);
        # the rows a pruning removes too
        cur.execute(sql.SQL("create index on {} (reporter_id, period_year, submission_id, n_revisions) "
                            "where published_until is null").format(store))
        cur.execute(sql.SQL("create index on {} (published_until) where published_until is not null").format(store))
        cur.execute(sql.SQL("analyze {}").format(store))
    else:
        _bring_up_to_date(cur, work, store, columns, "worst_finding_severity" in names, publication)
    cur.execute(sql.SQL("create view {}.{} as select {} from {} "
                        "where published_from <= %s and (published_until is null or published_until > %s)").format(
        incoming, sql.Identifier(table), columns, store), (publication, publication))
    return in_full


def _bring_up_to_date(cur, work: sql.Identifier, store: sql.Identifier, columns: sql.Composable,
                      flagged: bool, publication: int) -> None:
    """The store's current rows made equal to `work`'s, which differ from them only in the
    reporter-years whose versions differ and in the finding flags: those rows are marked replaced
    by this publication and written again. Each version of a report (int_submissions_ranked has one
    row each) is looked up in both rather than the two tables compared row by row, as
    publish._bring_up_to_date does on DuckDB. That finds every difference while the store was
    written from the same lineage of builds (fingerprint.build_basis: the same code, withdrawals and
    last full build): incremental builds only add versions, each with the n_revisions the ranking
    gives it now. Any other change makes the store table a new one."""
    has_version = ("exists (select 1 from {} as t where {}t.reporter_id = v.reporter_id "
                   "and t.period_year = v.period_year and t.submission_id = v.submission_id "
                   "and t.n_revisions {} v.n_revisions)")
    # A reporter-year differs where one side has rows of a version (with its n_revisions now) that
    # the other lacks, or where the store still shows a version sent again since: the new one may
    # have no rows in this table. "Less or greater": as dbt_project/macros/incremental_scope.sql's
    # delete_superseded_reporter_years, for the index.
    shown = sql.SQL("t.published_until is null and ")
    cur.execute(sql.SQL("create temp table replaced_reporter_years as "
                        "select distinct v.reporter_id, v.period_year from {} as v "
                        f"where {has_version} <> {has_version} or {has_version} or {has_version}").format(
        sql.Identifier(WORK_SCHEMA, "int_submissions_ranked"),
        work, sql.SQL(""), sql.SQL("is not distinct from"),
        store, shown, sql.SQL("is not distinct from"),
        store, shown, sql.SQL("<"),
        store, shown, sql.SQL(">")))
    # its true size (a few rows), for the planner to find their rows by the store's index
    cur.execute("analyze replaced_reporter_years")
    replaced = sql.SQL("(reporter_id, period_year) in (select reporter_id, period_year from replaced_reporter_years)")
    if flagged:  # few rows are flagged: compared among those only
        current = sql.SQL("(select * from {} where published_until is null) as s").format(store)
        flags = "select figure_key, worst_finding_severity from {} where worst_finding_severity is not null"
        cur.execute(sql.SQL("create temp table reflagged as select figure_key from ("
                            f"({flags} except {flags}) union all ({flags} except {flags})) as d").format(
            work, current, current, work))
        cur.execute("analyze reflagged")
        replaced = sql.SQL("({} or figure_key in (select figure_key from reflagged))").format(replaced)
    cur.execute(sql.SQL("update {} set published_until = %s where published_until is null and {}").format(
        store, replaced), (publication,))
    cur.execute(sql.SQL("insert into {} ({}, published_from) select {}, %s from {} where {}").format(
        store, columns, columns, work, replaced), (publication,))
    cur.execute("drop table replaced_reporter_years")
    if flagged:
        cur.execute("drop table reflagged")


def _prune(h) -> list[str]:
    """Drops the oldest publications beyond the number kept, then what only they showed of the store."""
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
        kept = [name.removeprefix(PUBLICATION_PREFIX) for name in older if name not in dropped]
        stamps = [_micros(stamp) for stamp in [*kept, _published_stamp(cur)] if stamp and _is_stamp(stamp)]
        if stamps:
            _prune_store(w.con, cur, min(stamps))
    return dropped


def _is_stamp(text: str) -> bool:
    """Whether a schema's name after `publication_` is a stamp: one made by hand may not be."""
    try:
        _when(text)
    except ValueError:
        return False
    return True


def _prune_store(con, cur, oldest: int) -> None:
    """Removes from the store the rows replaced before the `oldest` publication kept, which no kept
    publication shows, and the store tables no publication's view reads any more."""
    cur.execute("select c.relname, exists (select 1 from information_schema.view_table_usage u "
                "where u.table_schema = n.nspname and u.table_name = c.relname) "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relkind = 'r'", (STORE_SCHEMA,))
    for stored, shown in cur.fetchall():
        store = sql.Identifier(STORE_SCHEMA, stored)
        try:
            cur.execute("set local lock_timeout = '2s'")
            if shown:
                cur.execute(sql.SQL("delete from {} where published_until <= %s").format(store), (oldest,))
            else:
                cur.execute(sql.SQL("drop table {}").format(store))
            con.commit()
        # a reader holds it, or a view of another owner (which view_table_usage does not list) reads it
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DependentObjectsStillExist):
            con.rollback()
