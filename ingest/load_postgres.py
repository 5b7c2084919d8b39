"""The landing, loaded into PostgreSQL: the `landing` schema holds one table per landing folder.

PostgreSQL cannot read Parquet, so zonestat copies it in: each landed file once (COPY, in
batches), recorded in `landing.loaded_files` in the same transaction as its rows, so a load
stopped half-way leaves nothing half-loaded and the next one picks up where it stopped.
Landing files are immutable, which makes "loaded once" the same as "loaded as it is".
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ingest.land import TABLES, landed_files, read_files

SCHEMA = "landing"
BATCH_FILES = 500  # files per COPY and transaction: one transaction per file costs a round trip each

_PG_TYPES = {pa.string(): "text", pa.int64(): "bigint", pa.float64(): "double precision", pa.bool_(): "boolean",
             pa.date32(): "date", pa.timestamp("us", tz="UTC"): "timestamptz"}


def ensure_tables(cur) -> None:
    """The landing tables as ingest's schemas say; a column added since is added here too."""
    cur.execute(f"create schema if not exists {SCHEMA}")
    cur.execute(f"""create table if not exists {SCHEMA}.loaded_files (
        landing_table text not null, file_name text not null,
        loaded_at timestamptz not null default now(), primary key (landing_table, file_name))""")
    for table, schema in TABLES.items():
        columns = ", ".join(f"{f.name} {_PG_TYPES[f.type]}" for f in schema)
        cur.execute(f"create table if not exists {SCHEMA}.{table} ({columns})")
        cur.execute("select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                    (SCHEMA, table))
        present = {row[0] for row in cur.fetchall()}
        for f in schema:
            if f.name not in present:
                cur.execute(f"alter table {SCHEMA}.{table} add column {f.name} {_PG_TYPES[f.type]}")
        if "submission_id" in schema.names:  # an incremental build reads the few submissions it rebuilds
            cur.execute(f"create index if not exists {table}_submission on {SCHEMA}.{table} (submission_id)")


def load_landing(landing: Path, connect: Callable[[], object]) -> dict[str, int]:
    """Copy every landed file not yet in PostgreSQL; returns the files loaded per table."""
    loaded: dict[str, int] = {}
    con = connect()
    try:
        with con, con.cursor() as cur:
            ensure_tables(cur)
        for table, schema in TABLES.items():
            with con.cursor() as cur:
                cur.execute(f"select file_name from {SCHEMA}.loaded_files where landing_table = %s", (table,))
                done = {row[0] for row in cur.fetchall()}
            new = [p for p in landed_files(landing, table) if p.name not in done]
            for start in range(0, len(new), BATCH_FILES):
                batch = new[start:start + BATCH_FILES]
                rows = read_files(batch, table)
                with con, con.cursor() as cur:  # one transaction: the rows and the record that they are in
                    if rows.num_rows:
                        cur.copy_expert(f"copy {SCHEMA}.{table} ({', '.join(schema.names)}) from stdin "
                                        "with (format csv, header true)", _csv(rows))
                    cur.execute(f"insert into {SCHEMA}.loaded_files (landing_table, file_name) "
                                "select %s, unnest(%s::text[])", (table, [p.name for p in batch]))
            loaded[table] = len(new)
    finally:
        con.close()
    return loaded


def _csv(rows: pa.Table) -> io.BytesIO:
    # Every value quoted and nulls left empty: PostgreSQL's CSV reads an empty unquoted field as
    # NULL and "" as the empty string, which the landing tells apart.
    out = io.BytesIO()
    pacsv.write_csv(rows, out, pacsv.WriteOptions(quoting_style="all_valid"))
    out.seek(0)
    return out
