"""The incremental build (reporter-years, dbt_project/macros/incremental_scope.sql) gives exactly
what a build from scratch gives: after a superseding file, a late lower-status file and a new
month, every fact, the history and the rollups equal a `dbt build --full-refresh` of the same
landing, row for row. The quality rules, run again only over the reporters that changed and those
whose findings depend on theirs, find what a run over every report finds."""

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from expectations import engine, quality
from ingest import land
from orchestration.dbt import dbt_command
from orchestration.publish import analyst_tables, table_names
from tests.fixtures.homes import latest_metadata, query, run_refresh
from zonestat import reference
from zonestat.config import DBT_PROJECT_DIR
from zonestat.sample import generate
from zonestat.submission_files import another_version

pytestmark = pytest.mark.slow  # builds a warehouse with dbt and Dagster (or drives a browser)

TABLES = reference.fact_tables() + ("fct_figure_revisions", "int_province_figures_additive", "int_zone_versions", "dim_zone",
                                     "agg_province_2025",
                                     "agg_region", "agg_national", "agg_bloc", *quality.RULE_MODELS)


def differences(work_db: Path, rebuilt_db: Path, table: str) -> int:
    with duckdb.connect(str(work_db), read_only=True) as con:
        con.execute(f"attach '{rebuilt_db}' as rebuilt (read_only)")
        columns = con.execute(f"select column_name, data_type from information_schema.columns "
                              f"where table_catalog = 'warehouse' and table_name = '{table}' "
                              "order by ordinal_position").fetchall()
        # Sums may differ in the last bits with the order rows were added in.
        select = ", ".join(f"round({c}, 6)" if t == "DOUBLE" else c for c, t in columns
                           if c != "worst_finding_severity")
        return con.execute(f"""select count(*) from (
            (select {select} from main.{table} except all select {select} from rebuilt.main.{table})
            union all
            (select {select} from rebuilt.main.{table} except all select {select} from main.{table}))""").fetchone()[0]


def test_incremental_refresh_equals_a_build_from_scratch(zhome, tmp_path):
    generate(zhome.inbox, seed=3, years=(2024, 2025), provinces="01,34,79", months=(1, 2, 3, 6, 7, 8),
             today=date(2026, 11, 22))
    assert run_refresh(zhome)
    first = query(zhome.published_db, "select count(*) as n from fct_figure_revisions")["n"][0]

    files = {p.stem.split("_", 2)[2] + "/" + p.stem.split("_")[0]: p for p in zhome.inbox.iterdir()}
    another_version(files["2024-02/01"], zhome.inbox / "hanoi-2024-02-official.xlsx", "chinh_thuc", factor=1.5)
    another_version(files["2025-03/79"], zhome.inbox / "hcmc-2025-03-preliminary.xlsx", "so_bo", factor=0.5)
    # A version without the trade sheet's figures: the earlier version's trade figures stop being current.
    trade_rows = "select count(*) as n from fct_trade where reporter_code = '34' and period_key = '2025-06'"
    assert query(zhome.published_db, trade_rows)["n"][0] > 0
    another_version(files["2025-06/34"], zhome.inbox / "34-2025-06-official-no-trade.xlsx", "chinh_thuc",
                    leave_out=("trade",))
    later = tmp_path / "new-month"
    generate(later, seed=3, years=(2025, 2025), provinces="79", months=(9,), today=date(2026, 11, 22))
    for path in later.iterdir():
        path.rename(zhome.inbox / path.name)
    assert run_refresh(zhome)
    # The 1.5 times larger 2024-02 breaks growth claims of 2025-02, a reporter-year that no file of
    # this refresh belongs to: the growth rule's model checks the next year of a changed one again.
    claims_of_2025_02 = """select count(*) as n from dq_findings where rule_id = 'growth.claimed_growth'
        and reporter_id = 'province:2008:01' and period_key = '2025-02'"""
    assert query(zhome.published_db, claims_of_2025_02)["n"][0] > 0
    # A preliminary figure arriving after the official one: history only, but the count changes.
    another_version(files["2024-02/01"], zhome.inbox / "hanoi-2024-02-late-preliminary.xlsx", "so_bo", factor=0.7)
    # The official figures sent again as first typed: the growth claims of 2025-02 that the 1.5 times
    # larger 2024-02 broke hold again, and the 2025 rows, which this build keeps, lose their flags.
    another_version(files["2024-02/01"], zhome.inbox / "hanoi-2024-02-official-again.xlsx", "chinh_thuc")
    assert run_refresh(zhome)
    assert query(zhome.published_db, claims_of_2025_02)["n"][0] == 0
    # Every 2025 report of Hanoi sent again 1000 times larger: the median of each of its stock series
    # (12 figures) moves halfway, and its 2024 figures, a reporter-year no file of this refresh
    # belongs to, are now about 500 times below it: the model checks every year of the province.
    far_in_2024 = """select count(*) as n from dq_findings where rule_id = 'magnitude.against_history'
        and reporter_id = 'province:2008:01' and period_key like '2024-%'"""
    assert query(zhome.published_db, far_in_2024)["n"][0] == 0
    for period in ("2025-01", "2025-02", "2025-03", "2025-06", "2025-07", "2025-08"):
        another_version(files[f"{period}/01"], zhome.inbox / f"hanoi-{period}-x1000.xlsx", "chinh_thuc", factor=1000)
    assert run_refresh(zhome)
    assert query(zhome.published_db, far_in_2024)["n"][0] > 0

    def current(code: str, period: str) -> list[dict]:
        return query(zhome.published_db, f"""select distinct status, n_revisions from fct_investment
            where reporter_code = '{code}' and period_key = '{period}'""").to_dict("records")

    assert current("01", "2024-02") == [{"status": "chinh_thuc", "n_revisions": 4}]
    assert current("79", "2025-03") == [{"status": "so_bo", "n_revisions": 2}]
    assert current("79", "2025-09") == [{"status": "uoc", "n_revisions": 1}]
    assert query(zhome.published_db, "select count(*) as n from fct_figure_revisions")["n"][0] > first
    assert query(zhome.published_db, trade_rows)["n"][0] == 0
    assert current("34", "2025-06") == [{"status": "chinh_thuc", "n_revisions": 2}]

    # The facts' dbt tests read only the reporter-years the build rewrote (macros/incremental_scope.sql).
    build = max(zhome.dbt_target.glob("warehouse_models-*"), key=lambda p: p.stat().st_mtime)
    # ... and the revisions read only the landing files of the reporter-years the build rewrote
    # (Hanoi's 2025, which six new versions changed), not the whole landing (macros/landing_files.sql).
    read = set()
    for line in (build / "dbt.log").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        # Queries outside any node (the adapter's own, the run's hooks) carry no node_info.
        node = event["data"].get("node_info", {}).get("unique_id", "")
        if event["info"]["name"] == "SQLQuery" and "int_figures_revisions" in node:
            read |= set(re.findall(r"/landing/figures/([0-9a-f]{64})\.parquet", event["data"]["sql"]))
    landed = {f.stem for f in land.landed_files(zhome.landing, "figures")}
    hanoi_2025 = set(query(zhome.published_db, """select submission_id from fct_submissions
        where reporter_code = '01' and period_key like '2025-%' and outcome = 'accepted'""")["submission_id"])
    assert read == hanoi_2025 and len(read) < len(landed), (len(read), len(landed))
    unique_keys = (build / "run/zonestat/models/marts/_facts.yml/unique_fct_investment_figure_key.sql").read_text()
    assert "dbt_tested_versions" in unique_keys and "int_submissions_ranked" in unique_keys
    # With every version tested since, `dbt test` by hand reads every row.
    by_hand = subprocess.run(dbt_command(zhome, "test", "--select", "fct_investment", "--target-path",
                                         str(tmp_path / "by-hand")), capture_output=True, text=True)
    assert by_hand.returncode == 0, by_hand.stdout[-3000:]
    assert "dbt_tested_versions" not in (
        tmp_path / "by-hand/run/zonestat/models/marts/_facts.yml/unique_fct_investment_figure_key.sql").read_text()

    checked = latest_metadata(zhome, "quality", "dq_rule_findings")
    assert 0 < checked["reporters_checked"] < checked["reporters"], checked
    written = latest_metadata(zhome, "published_warehouse")["written"]
    # The publication was the last one brought up to date, and holds what the work database holds.
    assert written.startswith("from warehouse-") and written.endswith("brought up to date"), written
    with duckdb.connect(str(zhome.work_db), read_only=True) as con:
        con.execute(f"attach '{zhome.last_publication()}' as published (read_only)")
        # still in the storage format DuckDB 1.x reads (test_published_reports opens one with 1.1.3)
        tags = con.execute("select tags from duckdb_databases() where database_name = 'published'").fetchall()
        assert tags[0][0]["storage_version"].startswith("v1.0.0"), tags
        for table in analyst_tables(table_names(con, catalog="published")):
            assert con.execute(f"""select count(*) from (
                (select * from main.{table} except all select * from published.main.{table})
                union all
                (select * from published.main.{table} except all select * from main.{table}))""").fetchall() == [(0,)], table
    # Each fact row carries the worst severity of the findings that name it, and no other: the flags
    # of rows kept from earlier builds were cleared or changed where the findings changed.
    touching = f"""select figure_key, min({reference.severity_rank_sql()}) as worst_rank
        from (select unnest(string_split(cell_keys, '{reference.cell_key_separator()}')) as figure_key, severity
              from dq_findings where cell_keys is not null) as named
        group by figure_key"""
    severities = ", ".join(f"'{s}'" for s in reference.severities())
    for table in reference.fact_tables():
        wrong = query(zhome.published_db, f"""select count(*) as n from {table} f
            left join ({touching}) t using (figure_key)
            where f.worst_finding_severity is distinct from [{severities}][t.worst_rank + 1]""")["n"][0]
        assert wrong == 0, table
    assert query(zhome.published_db, "select count(*) as n from fct_investment where worst_finding_severity "
                 "is not null")["n"][0] > 0
    findings = "select * from dq_rule_findings order by finding_id"
    incremental = query(zhome.work_db, findings)
    assert len(incremental)
    engine.run_quality(zhome)  # every report
    pd.testing.assert_frame_equal(query(zhome.work_db, findings), incremental)

    rebuilt = tmp_path / "rebuilt.duckdb"
    # dbt by hand, as the README says: in the project's folder, the paths from the environment. Every
    # model but dq_findings, which reads the quality engine's findings (not compared here); its
    # output kept out of the project's folder.
    env = dict(os.environ, ZONESTAT_WORK_DB=str(rebuilt), ZONESTAT_LANDING=str(zhome.landing))
    with duckdb.connect(str(rebuilt)) as con:  # a new database: the catalogue's relations, as a refresh writes them
        quality.write_catalogue(con)
    done = subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", "--full-refresh",
                           "--exclude", "dq_findings",
                           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    for table in TABLES:
        assert differences(zhome.work_db, rebuilt, table) == 0, table


def test_a_failed_test_keeps_its_reporter_years_under_test(zhome, tmp_path, monkeypatch):
    """The tests of an incremental build read only the versions they have not passed over yet
    (dbt's record, macros/incremental_scope.sql), whatever else ran in between: here the quality
    rules, run from the UI on their own after a failed build, and a model built without its
    upstream models."""
    from ingest.pipeline import ingest_inbox

    monkeypatch.setenv("ZONESTAT_INBOX_SETTLE_SECONDS", "0")
    generate(zhome.inbox, seed=3, years=(2024, 2024), provinces="01,79", months=(1, 2), today=date(2026, 11, 22))
    assert run_refresh(zhome)
    files = {p.stem.split("_", 2)[2] + "/" + p.stem.split("_")[0]: p for p in zhome.inbox.iterdir()}

    def dbt(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(dbt_command(zhome, *args, "--target-path", str(tmp_path / "target")),
                              capture_output=True, text=True)

    def record(model: str) -> set[str]:
        return set(query(zhome.work_db, "select submission_id from dbt_tested_versions where model_name = ?",
                         [model])["submission_id"])

    def current_versions() -> set[str]:
        return set(query(zhome.work_db, "select submission_id from fct_submissions where is_current")["submission_id"])

    def unique_test_sql(model: str) -> str:
        return (tmp_path / f"target/run/zonestat/models/marts/_facts.yml/unique_{model}_figure_key.sql").read_text()

    first = current_versions()
    assert len(first) == 4 and record("fct_investment") == record("fct_trade") == first  # after the refresh's build
    # A new version of Hanoi's February, built.
    another_version(files["2024-02/01"], zhome.inbox / "hanoi-2024-02-official.xlsx", "chinh_thuc")
    assert ingest_inbox(zhome).accepted
    assert dbt("run").returncode == 0
    # fct_trade rebuilt in full on its own: its tests read every row, and its record stays as it
    # was, since the models it is built from were not rebuilt with it.
    assert dbt("build", "--full-refresh", "--select", "fct_trade").returncode == 0
    assert "dbt_tested_versions" not in unique_test_sql("fct_trade") and record("fct_trade") == first
    # One of Hanoi's new rows is there twice, as a faulty build could leave it: the tests of
    # fct_investment read the new version's reporter-year and fail.
    with duckdb.connect(str(zhome.work_db)) as con:
        con.execute("""insert into fct_investment select * from fct_investment
                       where reporter_code = '01' and period_key = '2024-02' limit 1""")
    failed = dbt("test", "--select", "fct_investment")
    assert failed.returncode != 0 and "unique_fct_investment_figure_key" in failed.stdout, failed.stdout[-3000:]
    assert "dbt_tested_versions" in unique_test_sql("fct_investment")
    assert record("fct_investment") == set() and record("fct_trade") == first  # only the failing model forgets
    engine.run_quality(zhome)  # the rules, materialized on their own
    # A version of another reporter's report: the next build still tests Hanoi's rows.
    another_version(files["2024-01/79"], zhome.inbox / "hcmc-2024-01-official.xlsx", "chinh_thuc")
    assert ingest_inbox(zhome).accepted
    again = dbt("build")
    assert again.returncode != 0 and "unique_fct_investment_figure_key" in again.stdout, again.stdout[-3000:]
    assert record("fct_investment") == set()
    assert record("fct_trade") == current_versions() != first  # the new versions' tests passed there
