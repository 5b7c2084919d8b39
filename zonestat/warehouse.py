"""The warehouse's two states, whichever engine holds them (zonestat/target.py chooses):

- the work state, which dbt builds and the checks audit: ZONESTAT_HOME/work/warehouse.duckdb,
  or the schema `work` on PostgreSQL;
- the published state, which analysts read: the newest snapshot of warehouse.duckdb, or the
  schema `main` on PostgreSQL.

The CLI, the asset checks, the quality engine and the feedback workbooks read through here, in
SQL both engines read. What differs beyond reading (loading the landing, running the rules,
publishing) asks zonestat/target.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from zonestat import target
from zonestat.config import Home, connect_work_db

WORK_SCHEMA, PUBLISHED_SCHEMA = "work", "main"  # PostgreSQL; `main` is DuckDB's own default schema


@dataclass
class Warehouse:
    """A connection to one state of the warehouse; `where` names it for messages."""

    con: object
    engine: str
    where: str
    schema: str = PUBLISHED_SCHEMA

    def df(self, sql: str, params: list | None = None):
        """A query's result as a pandas frame; parameters are written `?` on both engines."""
        import pandas as pd

        if self.engine == target.DUCKDB:
            return self.con.execute(sql, params).df()
        with self.con.cursor() as cur:
            cur.execute(*self._psycopg(sql, params))
            return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        if self.engine == target.DUCKDB:
            return self.con.execute(sql, params).fetchall()
        with self.con.cursor() as cur:
            cur.execute(*self._psycopg(sql, params))
            return cur.fetchall()

    @staticmethod
    def _psycopg(sql: str, params: list | None) -> tuple:
        # zonestat's queries put no ? or % inside their string literals: their values are parameters
        return (sql, None) if not params else (sql.replace("%", "%%").replace("?", "%s"), params)

    def tables(self, schema: str | None = None, catalog: str | None = None) -> list[str]:
        """The base tables of a schema (this connection's by default; of an attached DuckDB catalog when given)."""
        where = f"table_catalog = '{catalog}' and " if catalog else ""
        return [r[0] for r in self.rows(
            f"select table_name from information_schema.tables where {where}table_schema = '{schema or self.schema}' "
            "and table_type = 'BASE TABLE' order by 1")]


def postgres_address(schema: str) -> str:
    settings = target.pg_settings()
    return f"postgresql://{settings['host']}:{settings['port']}/{settings['dbname']}, schema {schema}"


def published_where(h: Home) -> str:
    """Where analysts read the published warehouse, for messages."""
    return postgres_address(PUBLISHED_SCHEMA) if target.on_postgres() else str(h.published_db)


@contextmanager
def _postgres(schema: str, read_only: bool) -> Iterator[Warehouse]:
    con = target.connect_postgres(options=f"-c search_path={schema}")
    con.set_session(readonly=read_only, autocommit=read_only)
    try:
        yield Warehouse(con, target.POSTGRES, postgres_address(schema), schema)
        if not read_only:
            con.commit()
    finally:
        con.close()


@contextmanager
def work(h: Home, read_only: bool = False) -> Iterator[Warehouse]:
    if target.on_postgres():
        with _postgres(WORK_SCHEMA, read_only) as w:
            yield w
        return
    with connect_work_db(h.work_db, read_only=read_only) as con:
        yield Warehouse(con, target.DUCKDB, str(h.work_db))


def work_exists(h: Home) -> bool:
    if target.on_postgres():
        with _postgres(WORK_SCHEMA, True) as w:
            return bool(w.tables())
    return h.work_db.exists()


def published_exists(h: Home) -> bool:
    if target.on_postgres():
        with _postgres(PUBLISHED_SCHEMA, True) as w:
            return bool(w.tables())
    return h.last_publication() is not None


@contextmanager
def published(h: Home) -> Iterator[Warehouse | None]:
    """The published tables, or None before the first publication. On DuckDB, the newest snapshot:
    the same tables as warehouse.duckdb, which an analyst's program may hold locked."""
    if target.on_postgres():
        with _postgres(PUBLISHED_SCHEMA, True) as w:
            yield w if w.tables() else None
        return
    path: Path | None = h.last_publication()
    if path is None:
        yield None
        return
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        yield Warehouse(con, target.DUCKDB, published_where(h))


# PostgreSQL's types as DuckDB names them, for the tables copied between the two.
_DUCKDB_TYPES = {"text": "varchar", "character varying": "varchar", "integer": "integer", "bigint": "bigint",
                 "smallint": "integer", "double precision": "double", "numeric": "double", "boolean": "boolean",
                 "date": "date", "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp"}


def copy_to_duckdb(pg, duck, tables: tuple[str, ...], reporters: list[str] | None = None) -> None:
    """Copy tables of the PostgreSQL connection's schema into a DuckDB connection (COPY, as CSV).
    Given `reporters`, only their rows are copied, in place of the rows the DuckDB table has of them."""
    import tempfile

    with pg.cursor() as cur, tempfile.TemporaryDirectory(prefix="zonestat-copy-") as folder:
        for table in tables:
            cur.execute("select column_name, data_type from information_schema.columns "
                        "where table_schema = current_schema() and table_name = %s order by ordinal_position", (table,))
            columns = {}
            for name, kind in cur.fetchall():
                if kind not in _DUCKDB_TYPES:
                    raise TypeError(f"{table}.{name}: no DuckDB type for PostgreSQL's {kind} (zonestat/warehouse.py)")
                columns[name] = _DUCKDB_TYPES[kind]
            path = Path(folder) / f"{table}.csv"
            rows = table if reporters is None else \
                "(" + cur.mogrify(f"select * from {table} where reporter_id = any(%s)", (reporters,)).decode() + ")"
            with open(path, "wb") as out:
                cur.copy_expert(f"copy {rows} to stdout with (format csv, header true)", out)
            # PostgreSQL writes NULL as an empty field and the empty string as "": kept apart here
            read = "select * from read_csv(?, header = true, columns = ?, allow_quoted_nulls = false)"
            if reporters is None:
                duck.execute(f"create or replace table {table} as {read}", [str(path), columns])
            else:
                duck.execute(f"delete from {table} where reporter_id in (select unnest(?::varchar[]))", [reporters])
                duck.execute(f"insert into {table} {read}", [str(path), columns])


def copy_to_postgres(duck, pg, table: str, columns_ddl: str) -> None:
    """Replace a PostgreSQL table (in the connection's schema) with a DuckDB table's rows."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="zonestat-copy-") as folder:
        path = Path(folder) / f"{table}.csv"
        duck.execute(f"copy {table} to '{path}' (header true)")  # empty strings are written as ""
        with pg.cursor() as cur:
            cur.execute(f"drop table if exists {table}")
            cur.execute(f"create table {table} ({columns_ddl})")
            with open(path, "rb") as data:
                cur.copy_expert(f"copy {table} from stdin with (format csv, header true)", data)
