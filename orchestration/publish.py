"""Write-audit-publish: the analysts' warehouse is swapped in whole, only after the audit passes.

dbt and the quality engine write the work database. Publishing audits it (the blocking checks
below), writes what analysts use (`analyst_tables`) into a timestamped snapshot, and renames a
copy of that snapshot over `warehouse.duckdb`. The snapshot is written in a storage format that
DuckDB 1.x reads (PUBLISHED_STORAGE_VERSION): DBeaver and most drivers still ship a 1.x engine,
which cannot open a file of the 2.x format the work database is in. A rename is atomic: a reader
sees the old file or the new one, never a half-built one, and a reader that has the old file open keeps reading it undisturbed. The
published file is a copy, not a link to the snapshot, so that a lock an analyst's program holds
on it (DBeaver opens files read-write) never reaches the snapshots, which is what zonestat reads.
Findings about what boards reported are published as flags; they never block.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from expectations.catalogue import CATALOGUE_TABLES
from expectations.engine import BASIS_TABLE, CHECKED_TABLE, RULE_FINDINGS_TABLE
from expectations.quality import RULE_MODELS
from ingest.receive import write_whole
from orchestration.disk import ensure_free_space, remove_leftovers
from orchestration.fingerprint import build_basis
from zonestat import reference, target, warehouse
from zonestat.config import Home, connect_work_db, duckdb_memory
from zonestat.settings import setting
from zonestat.warehouse import Warehouse


def keep_snapshots() -> int:
    """How many publications stay in snapshots/ for time travel (ZONESTAT_KEEP_SNAPSHOTS)."""
    return max(1, int(setting("ZONESTAT_KEEP_SNAPSHOTS")))


# Tables whose rows may only disappear when a superseding submission replaced them.
GUARDED_FACTS = reference.fact_tables()
# The published tables dbt builds by reporter-year (dbt_project/macros/incremental_scope.sql).
REPORTER_YEAR_TABLES = (*GUARDED_FACTS, "fct_figure_revisions")
REQUIRED_TABLES = REPORTER_YEAR_TABLES + ("fct_submissions", "dim_province", "dim_indicator", "dim_period", "dq_findings")


# The oldest storage format that holds the warehouse: DuckDB 0.10 and every 1.x release read it.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
# dbt's staging views read the landing's Parquet by paths of the machine that built them, and the
# intermediate tables are steps of the build, and dbt_ tables its own records (what its tests passed
# over): none is published.
INTERNAL_PREFIXES = ("stg_", "int_", "dbt_")
# what the quality engine hands to dbt's dq_findings, and its record of what they were found over;
# the catalogue as the rules' models read it, and what they found, which dq_findings publishes
INTERNAL_TABLES = (RULE_FINDINGS_TABLE, CHECKED_TABLE, BASIS_TABLE, *CATALOGUE_TABLES, *RULE_MODELS)


def analyst_tables(names: Iterable[str]) -> list[str]:
    """Of the work database's tables, the published ones: facts, dimensions, rollups, dq_findings and
    the reference seeds."""
    return [t for t in names if not t.startswith(INTERNAL_PREFIXES) and t not in INTERNAL_TABLES]


STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"


def publication_stamp() -> str:
    """When a publication is made, as its snapshot's (or schema's) name says it: 20261202T015419782867Z."""
    return datetime.now(timezone.utc).strftime(STAMP_FORMAT)


class PublishBlocked(Exception):
    """A blocking check failed: the last good publication stays in place."""


@dataclass
class Publication:
    path: Path | str  # where analysts read it
    snapshot: Path | str  # the same publication, kept among the last few
    row_counts: dict[str, int]
    changes: list[str] = field(default_factory=list)
    written: str = "in full"  # or brought up to date from the last publication (_write_snapshot; on PostgreSQL the store)


def table_names(con, schema: str = "main", catalog: str | None = None) -> list[str]:
    """The tables and views of a schema (of an attached catalog when given); `con` is a DuckDB
    connection or a Warehouse (zonestat/warehouse.py)."""
    return warehouse.as_warehouse(con).tables(schema, catalog)


def table_row_counts(con, schema: str = "main", catalog: str | None = None,
                     names: Iterable[str] | None = None) -> dict[str, int]:
    """Rows per table or view of a schema (of an attached catalog when given), or of those named."""
    w = warehouse.as_warehouse(con)
    prefix = f"{catalog}.{schema}." if catalog else f"{schema}."
    names = w.tables(schema, catalog) if names is None else list(names)
    if not names:
        return {}
    return dict(w.rows(" union all ".join(f"select '{n}', count(*) from {prefix}\"{n}\"" for n in names)))


def unpublished_submissions(h: Home) -> list[str]:
    """The accepted submissions taken in since the last publication, each with the command that takes
    it out, oldest first: when a build fails a blocking test, one of them is what it refused."""
    from ingest import land

    ledger = land.read_table(h.landing, "submissions")
    new = ledger[ledger.outcome == "accepted"]
    with warehouse.published(h) as w:
        if w is not None:
            published = {r[0] for r in w.rows("select submission_id from fct_submissions")}
            new = new[~new.submission_id.isin(published)]
    return [f"zonestat withdraw {r.submission_id[:12]} --reason '...'   # {r.file_name}, "
            f"{r.reporter_name or r.reporter_id} {r.period}" for r in new.sort_values("received_at").itertuples()]


def audit(w: Warehouse, new: tuple[str, str | None], old: tuple[str, str | None] | None
          ) -> tuple[dict[str, int], list[str], list[str]]:
    """(row counts of the analysts' tables, blocking problems, changes since the last publication) of
    the build in schema `new` against the publication in schema `old`, each (schema, catalog or
    None). Only the analysts' tables are counted: on PostgreSQL a count reads the whole table."""
    problems, changes = [], []
    built_tables = w.tables(*new)
    counts = table_row_counts(w, *new, names=analyst_tables(built_tables))
    for table in REQUIRED_TABLES:
        if table not in built_tables:
            problems.append(f"table {table} is missing from the build (did dbt or the quality engine fail?)")
    if old is None or problems:
        return counts, problems, changes
    built, published = (".".join(reversed([p for p in where if p])) for where in (new, old))  # catalog.schema
    before = table_row_counts(w, *old)
    for table in sorted(set(counts) | set(before)):
        was, now = before.get(table, 0), counts.get(table, 0)
        if was != now:
            changes.append(f"{table}: {was:,} -> {now:,} rows ({now - was:+,})")
    if "fct_figure_revisions" in before and counts.get("fct_figure_revisions", 0) < before["fct_figure_revisions"]:
        problems.append("fct_figure_revisions lost rows: the revision history must never shrink")
    for table in GUARDED_FACTS:
        if table not in before:
            continue
        unexplained = w.rows(f"""
            select count(*) from {published}.{table} p
            where not exists (select 1 from {built}.{table} b where b.figure_key = p.figure_key)
              and not exists (select 1 from {built}.fct_figure_revisions r
                              where r.submission_id = p.submission_id and not r.is_current)
        """)[0][0]
        if unexplained:
            problems.append(f"{table}: {unexplained:,} published rows would disappear without a superseding "
                            "submission to explain it")
    if "fct_submissions" in before:
        accepted, rejected = w.rows(f"""
            select count(*) filter (where outcome = 'accepted'), count(*) filter (where outcome = 'rejected')
            from {built}.fct_submissions
            where submission_id not in (select submission_id from {published}.fct_submissions)
        """)[0]
        changes.insert(0, f"new submissions since the last publication: {accepted} accepted, {rejected} rejected")
    return counts, problems, changes


def publish(h: Home) -> Publication:
    """Audit the work database and, if it passes, make it the analysts' warehouse."""
    if target.on_postgres():
        from orchestration.publish_postgres import publish_on_postgres

        return publish_on_postgres(h)
    with connect_work_db(h.work_db) as con:
        con.execute("checkpoint")
    last = h.last_publication()
    with warehouse.work(h, read_only=True) as w:
        work = w.rows("select current_database()")[0][0]  # named: the snapshot attached beside it has a main too
        if last is not None:
            w.con.execute(f"attach '{last}' as last (read_only)")
        counts, problems, changes = audit(w, ("main", work), ("main", "last") if last else None)
    if problems:
        raise PublishBlocked("; ".join(problems))
    remove_leftovers(h)
    ensure_free_space(h, "Publishing")
    stamp = publication_stamp()
    snapshot = h.snapshot(stamp)
    staging = snapshot.with_name(f".{snapshot.name}.tmp")
    try:
        built = build_basis(h)
        start_from, full_size = _to_bring_up_to_date(h, last, built)
        _write_snapshot(h.work_db, staging, start_from)
        os.replace(staging, snapshot)
        record = json.dumps({"snapshot": snapshot.name, "built": built,
                             "full_size": snapshot.stat().st_size if start_from is None else full_size})
        write_whole(h.snapshots / SNAPSHOT_RECORD, lambda partial: partial.write_text(record))
        write_whole(h.published_db, lambda partial: shutil.copyfile(snapshot, partial))
    except (OSError, duckdb.Error) as exc:  # a full disk, most often: give back what this publish wrote
        for written in (staging, staging.with_name(staging.name + ".wal"), snapshot):
            written.unlink(missing_ok=True)
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise PublishBlocked(f"publishing failed ({reason}); what it had written is removed and "
                             "the last publication stays in place") from exc
    for old in h.snapshots_oldest_first()[:-keep_snapshots()]:
        old.unlink()
    written = "in full" if start_from is None else f"from {start_from.name}, brought up to date"
    return Publication(h.published_db, snapshot, counts, changes, written)


# What the newest snapshot was written from: its name, how the facts it holds were built
# (fingerprint.build_basis) and the size of the last snapshot written in full. A new snapshot
# starts from the newest only while that is still what it says and the facts were built the same
# way since (incrementally). One brought up to date keeps the space of the rows it replaced until
# DuckDB reuses it: past GROWTH_LIMIT times the last full write (plus some blocks, which a small
# warehouse's file grows by at every change), the next one is written in full again.
SNAPSHOT_RECORD, GROWTH_LIMIT, GROWTH_SLACK = "newest-snapshot.json", 1.5, 64 << 20


def _to_bring_up_to_date(h: Home, last: Path | None, built: str) -> tuple[Path | None, int | None]:
    """The last publication, when the new one (its facts built as `built` says) can start from it
    (see _write_snapshot), and the size of the last one written in full; (None, None) when the new
    one is written in full."""
    try:
        record = json.loads((h.snapshots / SNAPSHOT_RECORD).read_text())
        if last is None or record["snapshot"] != last.name or record["built"] != built:
            return None, None
        full_size = int(record["full_size"])
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or a record a full disk cut short
        return None, None
    return (last, full_size) if last.stat().st_size <= GROWTH_LIMIT * full_size + GROWTH_SLACK else (None, None)


def _write_snapshot(work_db: Path, target: Path, last: Path | None = None) -> None:
    """The analysts' tables of the work database, copied into a new file in the published format.

    Given the `last` publication, built by the same code as the work database since (an
    incremental build), the new file starts as a copy of it and is brought up to date: the tables
    built by reporter-year (REPORTER_YEAR_TABLES) in the reporter-years whose versions differ and
    in the rows whose finding flag differs, every other table replaced, rather than every unchanged
    row written again. The rows brought up to date come after the others, out of the series order
    the build writes them in, until the next snapshot written in full."""
    target.unlink(missing_ok=True)
    if last is not None:
        shutil.copyfile(last, target)
    with duckdb.connect(config={"memory_limit": duckdb_memory()}) as con:
        con.execute(f"attach '{work_db}' as work (read_only)")
        # an existing file keeps its storage format; a new one is written in the published one
        con.execute(f"attach '{target}' as published" + (
            "" if last is not None else f" (storage_version '{PUBLISHED_STORAGE_VERSION}')"))
        published_tables = set(table_names(con, catalog="published"))
        for table in analyst_tables(table_names(con, catalog="work")):
            if table in REPORTER_YEAR_TABLES and table in published_tables:
                _bring_up_to_date(con, table)
            else:
                con.execute(f'create or replace table published.main."{table}" as select * from work.main."{table}"')
            published_tables.discard(table)
        for gone in published_tables:
            con.execute(f'drop table published.main."{gone}"')
        con.execute("detach published")


def _bring_up_to_date(con, table: str) -> None:
    """`published.table` made equal to `work.table`, which differs from it only in the reporter-years
    whose versions differ and in the flags the findings set (worst_finding_severity)."""
    work, published = f'work.main."{table}"', f'published.main."{table}"'
    versions = "select distinct reporter_id, period_year, submission_id, n_revisions from {}"
    con.execute(f"""create or replace temp table changed_reporter_years as
        select distinct reporter_id, period_year from (
            ({versions.format(work)} except {versions.format(published)})
            union all
            ({versions.format(published)} except {versions.format(work)}))""")
    con.execute(f"""delete from {published} p using changed_reporter_years c
        where p.reporter_id = c.reporter_id and p.period_year = c.period_year""")
    con.execute(f"""insert into {published} select w.* from {work} w
        join changed_reporter_years c on w.reporter_id = c.reporter_id and w.period_year = c.period_year""")
    columns = {r[0] for r in con.execute(f"select column_name from information_schema.columns "
                                         f"where table_catalog = 'published' and table_name = '{table}'").fetchall()}
    if "worst_finding_severity" in columns:  # few rows are flagged: compared among those only
        flags = "select figure_key, worst_finding_severity from {} where worst_finding_severity is not null"
        con.execute(f"""update {published} p set worst_finding_severity = w.worst_finding_severity
            from {work} w
            where p.figure_key = w.figure_key and p.figure_key in (
                select figure_key from ({flags.format(work)} except {flags.format(published)})
                union all
                select figure_key from ({flags.format(published)} except {flags.format(work)}))""")
