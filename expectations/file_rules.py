"""The warehouse's rules on the files given to `zonestat validate`, without building a warehouse.

The quality engine runs each rule as SQL over a view of the fact tables (quality.CELLS_VIEW) and
searches corrections on the same cells (engine.find). Here the fact tables are the files' own
figures, in an in-memory DuckDB, with the columns the build gives them: so every rule that needs
only the file (balances, bounds, ratios, shares, zones, magnitude against the file's own figures,
plausibility) runs from the very definitions the warehouse uses, with its messages and
suggestions, and no dbt is started for one file. Given a published warehouse (`against`), the
files' figures go in among its facts, in place of the versions they would supersede, and the
rules that compare a report with others run too: growth claims, history, year-to-date flows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from expectations import engine, quality
from expectations.catalogue import load
from expectations.relations import outside_dbt
from ingest.parse import Submission
from zonestat.config import DBT_PROJECT_DIR
from zonestat.warehouse import Warehouse

# The rules' models by what they compare a file's figures with: nothing else (the rules within one
# report), and the warehouse's other reports of the reporter (last year, the year's earlier reports,
# the series' history). The others need the warehouse's blocs and dimensions: not run on files.
WITHIN_ONE_REPORT = ("dq_broken_sums", "dq_broken_ratios", "dq_broken_shares", "dq_out_of_range",
                     "dq_broken_zone_totals")
AGAINST_HISTORY = ("dq_broken_growth_claims", "dq_year_to_date_falls", "dq_far_from_usual_level")


# The facts of a file's figures, with the columns the build gives them (int_figures_converted.sql,
# fact_table.sql, whose macros make the keys and the money in dong) that the rules read
# (quality.create_cells_view).
_FACTS = outside_dbt()
PROVINCE_2025_CODE = str(_FACTS.reporter_province_2025_code("f", "succ"))
FILE_FACTS_SQL = f"""
with f as (
    select
        r.reporter_id, r.reporter_kind, r.reporter_code, r.reporter_vintage, f.zone_key,
        r.period_key, r.period_year, r.period_month,
        f.indicator as indicator_code, i.kind as indicator_kind, i.domain, f.breakdown, f.value, f.unit,
        {_FACTS.money_in("VND_bn", "f.value", "f.unit", "fx.vnd_per_usd")} as value_vnd_bn,
        f.rounding_tolerance, f.growth_pct as growth_pct_claimed, f.growth_tolerance,
        f.share_pct as share_pct_claimed, f.share_tolerance, f.submission_id, r.revision_number, r.n_revisions,
        f.text_as_typed, f.source_sheet, f.source_cell
    from file_figures f
    join file_reports r using (submission_id)
    join indicators i on i.code = f.indicator
    left join exchange_rates fx on fx.year = r.period_year
    where f.value is not null
)
select
    {_FACTS.figure_key("f")} as figure_key, f.*, {PROVINCE_2025_CODE} as province_2025_code,
    {_FACTS.fact_join_keys("f", PROVINCE_2025_CODE)}
from f
left join province_succession succ
    on f.reporter_kind = 'province' and f.reporter_vintage = succ.from_vintage and f.reporter_code = succ.from_gso_code
"""
CELL_COLUMNS = ("figure_key, reporter_id, reporter_kind, reporter_code, reporter_vintage, province_2025_code, zone_key, "
                "period_key, period_year, period_month, indicator_code, indicator_kind, breakdown, value, unit, "
                "value_vnd_bn, rounding_tolerance, growth_pct_claimed, growth_tolerance, share_pct_claimed, "
                "share_tolerance, submission_id, revision_number, n_revisions, text_as_typed, source_sheet, source_cell, "
                "figure_hash, report_key, series_key, series_2025_key")


def _reference(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"create table {name} as select * from read_csv(?, header = true, all_varchar = true)",
                [str(DBT_PROJECT_DIR / "seeds" / f"{name}.csv")])


def _copy_from_postgres(con: duckdb.DuckDBPyConnection, w: Warehouse, sql: str, table: str) -> None:
    """A PostgreSQL query's rows appended to a DuckDB table, through CSV (COPY): each value cast to
    the table's own type, as DuckDB's attach of a published file gives them. COPY writes NULL
    bare and an empty text quoted, which DuckDB then reads apart."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        with path.open("w", encoding="utf-8") as out, w.con.cursor() as cur:
            cur.copy_expert(f"copy ({sql}) to stdout with (format csv, header)", out)
        con.execute(f"insert into {table} select * from read_csv(?, header = true, all_varchar = true, allow_quoted_nulls = false)",
                    [str(path)])


def load_file_facts(con: duckdb.DuckDBPyConnection, subs: list[Submission], against: Path | Warehouse | None = None,
                    ) -> None:
    """The submissions' figures as the fact tables of `con` (with `against`, a published DuckDB file
    or PostgreSQL's published schema, among the published warehouse's, in place of the versions
    they would supersede), and the reference tables the rules read."""
    for name in ("indicators", "province_succession"):
        _reference(con, name)
    con.execute("alter table province_succession alter from_vintage type integer")
    if isinstance(against, Warehouse):  # PostgreSQL's tables, as a DuckDB attach would show them
        con.execute("attach ':memory:' as published")
        con.execute("create table published.main.dim_exchange_rate(year integer, vnd_per_usd double)")
        _copy_from_postgres(con, against, "select year, vnd_per_usd from dim_exchange_rate",
                            "published.main.dim_exchange_rate")
    elif against is not None:
        con.execute("attach ? as published (read_only)", [str(against)])
    if against is not None:
        con.execute("create table exchange_rates as select year, vnd_per_usd from published.main.dim_exchange_rate")
    else:
        con.execute("create table exchange_rates(year integer, vnd_per_usd double)")
        from zonestat import reference

        con.executemany("insert into exchange_rates values (?, ?)", list(reference.fx_rates().items()))
    con.register("file_figures", pa.concat_tables([s.figure_table.landed() for s in subs]))
    con.register("file_reports", pd.DataFrame([{
        "submission_id": s.submission_id, "reporter_id": s.metadata.reporter_id,
        "reporter_kind": s.metadata.reporter_kind, "reporter_code": s.metadata.reporter_code,
        "reporter_vintage": s.metadata.reporter_vintage, "period_key": s.metadata.period,
        "period_year": s.metadata.period_year, "period_month": s.metadata.period_month,
        "revision_number": 1, "n_revisions": 1} for s in subs]))
    con.execute(f"create table file_facts as {FILE_FACTS_SQL}")
    if isinstance(against, Warehouse):
        for table in quality.FACT_TABLES:
            con.execute(f"create table published.main.{table} as select {CELL_COLUMNS} from file_facts limit 0")
            _copy_from_postgres(con, against, f"select {CELL_COLUMNS} from {table}", f"published.main.{table}")
    for table in quality.FACT_TABLES:
        domain = table.removeprefix("fct_")
        rows = f"select {CELL_COLUMNS} from file_facts where domain = '{domain}'"
        if against is not None:
            # the warehouse's figures, but not the versions the files would supersede
            rows += f"""
                union all
                select {CELL_COLUMNS} from published.main.{table} t
                where not exists (select 1 from file_reports r
                                  where r.reporter_id = t.reporter_id and r.period_key = t.period_key)"""
        con.execute(f"create table {table} as {rows}")


def findings_of_files(subs: list[Submission], against: Path | Warehouse | None = None) -> dict[str, pd.DataFrame]:
    """The rule findings of each accepted submission with figures, by submission id (each with
    rule_id, severity, source_cells, message, message_vi, suggestion, suggestion_vi...)."""
    subs = [s for s in subs if not s.rejected and len(s.figure_table)]
    # Each file is checked as if it alone had arrived: two versions of one report (a reporter's
    # period) are checked apart, not as one report with every cell twice.
    batches: list[list[Submission]] = []
    for sub in subs:
        report = (sub.metadata.reporter_id, sub.metadata.period)
        batch = next((b for b in batches if report not in {(s.metadata.reporter_id, s.metadata.period) for s in b}),
                     None)
        if batch is None:
            batches.append(batch := [])
        batch.append(sub)
    out: dict[str, pd.DataFrame] = {}
    for batch in batches:
        con = duckdb.connect()
        try:
            con.execute("set enable_progress_bar = false")
            load_file_facts(con, batch, against)
            rules = [r for r in load() if r.model in WITHIN_ONE_REPORT]
            if against is not None:
                rules += [r for r in load() if r.model in AGAINST_HISTORY]
            findings = engine.find(con, engine.QualitySummary(), rules)
        finally:
            con.close()
        if len(findings):
            mine = findings[findings["submission_id"].isin({s.submission_id for s in batch})]
            out |= {sid: frame.reset_index(drop=True) for sid, frame in mine.groupby("submission_id")}
    return out
