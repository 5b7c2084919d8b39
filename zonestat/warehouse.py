"""The warehouse's two states, whichever engine holds them (zonestat/target.py chooses):

- the work state, which dbt builds and the checks audit: ZONESTAT_HOME/work/warehouse.duckdb,
  or the schema `work` on PostgreSQL;
- the published state, which analysts read: the newest snapshot of warehouse.duckdb, or the
  schema `main` on PostgreSQL.

The CLI, the asset checks, the quality engine and the feedback workbooks read and write through
here, in SQL both engines run. What differs beyond that (loading the landing, publishing) asks
zonestat/target.py.
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

    def execute(self, sql: str, params: list | None = None) -> None:
        if self.engine == target.DUCKDB:
            self.con.execute(sql, params)
            return
        with self.con.cursor() as cur:
            cur.execute(*self._psycopg(sql, params))

    def temp_table(self, name: str, sql: str, params: list | None = None) -> None:
        """A temporary table of a query's rows, in place of any earlier one of that name. PostgreSQL
        gathers no statistics on a temporary table by itself: they are gathered here, so that the
        queries that read it are not planned blind."""
        self.execute(f"drop table if exists {name}")
        self.execute(f"create temporary table {name} as {sql}", params)
        if self.engine != target.DUCKDB:
            self.execute(f"analyze {name}")

    def temp_view(self, name: str, sql: str) -> None:
        self.execute(f"drop view if exists {name}")
        self.execute(f"create temporary view {name} as {sql}")

    def columns(self, sql: str) -> list[str]:
        """The column names of a query's result."""
        return list(self.df(f"select * from ({sql}) as q limit 0").columns)

    def insert_frame(self, table: str, frame) -> None:
        """A pandas frame's rows appended to a table with the same columns, in order."""
        if self.engine == target.DUCKDB:
            self.con.register("zonestat_frame", frame)
            try:
                self.con.execute(f"insert into {table} select * from zonestat_frame")
            finally:
                self.con.unregister("zonestat_frame")
            return
        from psycopg2.extras import execute_values

        # as Python values, each missing one (None, NaN, pandas' NA) as None: NULL
        rows = list(frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None))
        with self.con.cursor() as cur:
            execute_values(cur, f"insert into {table} values %s", rows, page_size=1000)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing. On PostgreSQL the work connection is already in a transaction, which the
        context that opened it commits; on DuckDB it is begun here."""
        if self.engine != target.DUCKDB:
            yield
            return
        self.con.execute("begin")
        try:
            yield
        except BaseException:
            self.con.execute("rollback")
            raise
        self.con.execute("commit")

    @staticmethod
    def _psycopg(sql: str, params: list | None) -> tuple:
        # zonestat's queries put no ? or % inside their string literals: their values are parameters
        return (sql, None) if not params else (sql.replace("%", "%%").replace("?", "%s"), params)

    def tables(self, schema: str | None = None, catalog: str | None = None) -> list[str]:
        """The tables and views of a schema (this connection's by default; of an attached DuckDB catalog
        when given). dbt's staging models are views; on PostgreSQL the published facts are views
        over zonestat's store of their rows (orchestration/publish_postgres.py)."""
        where = f"table_catalog = '{catalog}' and " if catalog else ""
        return [r[0] for r in self.rows(
            f"select table_name from information_schema.tables where {where}table_schema = '{schema or self.schema}' "
            "and table_type in ('BASE TABLE', 'VIEW') order by 1")]


def as_warehouse(con: Warehouse | object) -> Warehouse:
    """A Warehouse as it is, or a DuckDB connection as one (a file's facts in memory: zonestat validate)."""
    return con if isinstance(con, Warehouse) else Warehouse(con, target.DUCKDB, "")


def postgres_address(schema: str) -> str:
    settings = target.pg_settings()
    return f"postgresql://{settings['host']}:{settings['port']}/{settings['dbname']}, schema {schema}"


def published_where(h: Home) -> str:
    """Where analysts read the published warehouse, for messages."""
    return postgres_address(PUBLISHED_SCHEMA) if target.on_postgres() else str(h.published_db)


@contextmanager
def _postgres(schema: str, read_only: bool) -> Iterator[Warehouse]:
    import psycopg2.extensions as pg

    con = target.connect_postgres(options=f"-c search_path={schema}")
    con.set_session(readonly=read_only, autocommit=read_only)
    # numeric (what a literal such as 0.0 is) read as a float, as DuckDB hands its decimals to
    # pandas: the quality engine's messages and search compute with floats on either engine
    pg.register_type(pg.new_type(pg.DECIMAL.values, "ZONESTAT_NUMERIC_AS_FLOAT",
                                 lambda value, cursor: None if value is None else float(value)), con)
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
        con.execute("set enable_progress_bar = false")  # a long query draws none into a refresh's log
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
