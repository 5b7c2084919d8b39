"""zonestat on PostgreSQL, on a real server the test starts: the warehouse by configuration
(ZONESTAT_DBT_TARGET=postgres) against the same files on DuckDB, and Dagster's instance (runs,
events, pool slots) configured as dagster.yaml's comment says."""

import shutil

import pandas as pd
import pytest

from tests.fixtures.homes import latest_metadata, run_refresh
from tests.fixtures.postgres import connect, private_server, server_binaries

pytestmark = [pytest.mark.slow, pytest.mark.skipif(server_binaries() is None,
                                                     reason="Debian's postgresql is not installed (.ci/run installs it)")]


def uncommented_storage_section(dagster_yaml: str) -> str:
    """dagster.yaml with its PostgreSQL storage section switched on, as its comment tells a user to:
    the '# ' removed before the lines from `# storage:` to the end of the block."""
    out, inside = [], False
    for line in dagster_yaml.splitlines():
        if line.startswith("# storage:"):
            inside = True
        elif inside and not line.startswith("#  "):
            inside = False
        out.append(line[2:] if inside else line)
    return "\n".join(out) + "\n"


def readme_sql_examples() -> list[str]:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", readme, flags=re.S)


def _published_on_duckdb(h) -> dict[str, tuple]:
    """Per published table: its row count and the sum of each numeric column."""
    import duckdb

    with duckdb.connect(str(h.last_publication()), read_only=True) as con:
        return _table_sums(lambda sql: con.execute(sql).fetchall(), "main")


def _published_on_postgres(server) -> dict[str, tuple]:
    with connect(server) as con, con.cursor() as cur:
        def rows(sql):
            cur.execute(sql)
            return cur.fetchall()
        return _table_sums(rows, "main")


def _table_sums(rows, schema: str) -> dict[str, tuple]:
    numeric = ("integer", "bigint", "double", "double precision", "numeric", "decimal")
    out = {}
    for (table,) in rows(f"select table_name from information_schema.tables where table_schema = '{schema}'"):
        columns = [c for c, kind in rows(f"select column_name, lower(data_type) from information_schema.columns "
                                         f"where table_schema = '{schema}' and table_name = '{table}' "
                                         "order by column_name") if kind.split("(")[0] in numeric]
        sums = rows(f"select count(*){''.join(f', sum({c})' for c in columns)} from {schema}.{table}")[0]
        # a sum of doubles may differ in its last bits with the order the rows were added in
        out[table] = {c: None if v is None else float(f"{float(v):.9g}") for c, v in zip(["rows", *columns], sums)}
    return out


def _differences(duck: dict, postgres: dict) -> dict:
    return {f"{t}.{c}": (v, postgres[t].get(c)) for t, sums in duck.items() for c, v in sums.items()
            if postgres[t].get(c) != v}


def _finding_ids_on_duckdb(h) -> set[str]:
    import duckdb

    with duckdb.connect(str(h.last_publication()), read_only=True) as con:
        return {r[0] for r in con.execute("select finding_id from dq_findings").fetchall()}


def _finding_ids_on_postgres(server) -> set[str]:
    with connect(server) as con, con.cursor() as cur:
        cur.execute("select finding_id from main.dq_findings")
        return {r[0] for r in cur.fetchall()}


def _rule_findings_on_postgres(server) -> pd.DataFrame:
    with connect(server) as con, con.cursor() as cur:
        cur.execute("select * from work.dq_rule_findings order by finding_id")
        return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def test_the_same_files_make_the_same_warehouse_on_duckdb_and_on_postgresql(zhome, tmp_path, monkeypatch, capsys):
    """The whole refresh by configuration (ZONESTAT_DBT_TARGET=postgres): the landing copied into
    PostgreSQL, every dbt model, seed, test and contract, the quality rules and the publish; the
    published tables and the findings equal DuckDB's, from empty and after a superseding file;
    analysts read through a read-only role, undisturbed while a refresh publishes. Dagster keeps
    its runs in PostgreSQL as dagster.yaml's commented section says."""
    import json
    import threading
    from datetime import date

    import psycopg2
    from dagster import DagsterInstance

    from orchestration import environment
    from zonestat.config import ROOT_DAGSTER_YAML, Home
    from zonestat.sample import generate
    from zonestat.submission_files import another_version

    instance_on_postgres = tmp_path / "dagster.yaml"
    instance_on_postgres.write_text(uncommented_storage_section(ROOT_DAGSTER_YAML.read_text()))
    assert "\nstorage:\n  postgres:" in instance_on_postgres.read_text()
    monkeypatch.setattr(environment, "ROOT_DAGSTER_YAML", instance_on_postgres)
    on_duckdb = environment.prepare(zhome)
    on_postgres = environment.prepare(Home(tmp_path / "home-on-postgres"))
    generate(on_duckdb.inbox, seed=5, years=(2024, 2025), provinces="01,34,79", months=(6, 12),
             inject_errors=0.2, today=date(2026, 11, 22))
    for path in on_duckdb.inbox.iterdir():
        (on_postgres.inbox / path.name).write_bytes(path.read_bytes())

    with private_server() as server:
        admin = connect(server, dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("create database zonestat")
        admin.cursor().execute("create database dagster")
        admin.close()

        def refresh(h, engine: str) -> None:
            monkeypatch.setenv("ZONESTAT_DBT_TARGET", engine)
            for name, value in server.items():
                monkeypatch.setenv(name, value)
            monkeypatch.setenv("ZONESTAT_PG_READER_PASSWORD", "reader-password")
            assert run_refresh(h), engine

        refresh(on_duckdb, "duckdb")
        refresh(on_postgres, "postgres")
        duck, postgres = _published_on_duckdb(on_duckdb), _published_on_postgres(server)
        assert set(duck) == set(postgres)
        assert _differences(duck, postgres) == {}
        findings = _finding_ids_on_duckdb(on_duckdb)
        assert len(findings) > 5 and findings == _finding_ids_on_postgres(server)
        from orchestration.publish import INTERNAL_TABLES, REPORTER_YEAR_TABLES

        # every table dbt built was analysed as it was built, before the next model and the rules
        # were planned on it (autovacuum's own analyses come later, and say so apart)
        with connect(server) as con, con.cursor() as cur:
            cur.execute("select relname from pg_stat_user_tables where schemaname = 'work' and last_analyze is null "
                        "and relname not in %s", (INTERNAL_TABLES,))  # the quality engine's own
            assert cur.fetchall() == []
            # what the facts' tests passed over, recorded as on DuckDB (macros/incremental_scope.sql)
            cur.execute("""select count(*) from work.dbt_tested_versions t join work.fct_submissions s
                           on s.submission_id = t.submission_id and s.n_revisions = t.n_revisions and s.is_current
                           where t.model_name = 'fct_investment'""")
            recorded = cur.fetchone()[0]
            cur.execute("select count(*) from work.fct_submissions where is_current")
            assert recorded == cur.fetchone()[0] > 0

        # A superseding file, while an analyst reads through the read-only role the whole time.
        first_publication = postgres
        before = postgres["fct_submissions"]["rows"]
        source = on_duckdb.inbox / "01_2008_2024-06.xlsx"
        # written once: a workbook records when it was saved, and two writes a second apart differ
        # without its trade figures: the earlier version's must leave the facts on both engines
        another_version(source, tmp_path / "official-again.xlsx", "chinh_thuc", factor=1.5, leave_out=("trade",))
        for h in (on_duckdb, on_postgres):
            shutil.copy(tmp_path / "official-again.xlsx", h.inbox / "official-again.xlsx")
        reader = connect(server, user="zonestat_reader", password="reader-password")
        reader.autocommit = True
        seen, failures, publishing = [], [], threading.Event()

        def read_while_publishing() -> None:
            with reader.cursor() as cur:
                while not publishing.is_set():
                    try:
                        cur.execute("select count(*) from main.fct_submissions")
                        seen.append(cur.fetchone()[0])
                    except psycopg2.Error as exc:
                        failures.append(str(exc))
                    publishing.wait(0.05)

        thread = threading.Thread(target=read_while_publishing)
        thread.start()
        try:
            refresh(on_postgres, "postgres")
        finally:
            publishing.set()
            thread.join()
        written = latest_metadata(on_postgres, "published_warehouse")["written"]  # before DuckDB's run, logged beside it
        refresh(on_duckdb, "duckdb")
        assert failures == []
        assert set(seen) == {before, before + 1}  # the old publication, then the new one: nothing between
        duck, postgres = _published_on_duckdb(on_duckdb), _published_on_postgres(server)
        assert _differences(duck, postgres) == {}
        assert _finding_ids_on_duckdb(on_duckdb) == _finding_ids_on_postgres(server)
        with connect(server) as con, con.cursor() as cur:
            cur.execute("select count(*) from main.fct_trade where reporter_code = '01' and period_key = '2024-06'")
            assert cur.fetchone() == (0,)
        # the facts' store took only the rows this publication changed, not a copy of every row
        assert written == "the facts' changed rows added to zonestat_store"
        # each landed file was copied in once over the two refreshes: the landing's rows are the files'
        import duckdb

        from ingest.land import landed_files
        for table in ("submissions", "figures"):
            files = [str(f) for f in landed_files(on_postgres.landing, table)]
            in_files = duckdb.sql(f"select count(*) from read_parquet({files}, union_by_name = true)").fetchall()[0][0]
            with connect(server) as con, con.cursor() as cur:
                cur.execute(f"select count(*), (select count(*) from landing.loaded_files where landing_table = %s) "
                            f"from landing.{table}", (table,))
                assert cur.fetchone() == (in_files, len(files)), table
        with connect(server) as con, con.cursor() as cur:
            cur.execute("select table_name from information_schema.tables where table_schema = 'zonestat_store'")
            stored = [r[0] for r in cur.fetchall()]
            assert sorted(t.split("__")[0] for t in stored) == sorted(REPORTER_YEAR_TABLES)
            for table in stored:
                cur.execute(f"select count(*) filter (where published_from = (select max(published_from) "
                            f"from zonestat_store.{table})), count(*) filter (where published_until is null) "
                            f"from zonestat_store.{table}")
                written, shown = cur.fetchone()
                assert 0 < written < shown / 2, (table, written, shown)

        # On PostgreSQL too the rules checked again only the reporters that changed, and found what
        # a run over every report finds.
        from expectations import engine

        checked = latest_metadata(on_postgres, "quality", "dq_rule_findings")
        assert 0 < checked["reporters_checked"] < checked["reporters"], checked
        monkeypatch.setenv("ZONESTAT_DBT_TARGET", "postgres")
        kept = _rule_findings_on_postgres(server)
        engine.run_quality(on_postgres)  # every report
        assert len(kept)
        # the same findings; their figures to the last bits of a sum, which the rows' order decides
        pd.testing.assert_frame_equal(_rule_findings_on_postgres(server), kept)

        # What users read through the CLI and the boards' feedback workbooks is the same on both.
        def cli(h, engine: str, *args: str) -> str:
            from zonestat import cli

            monkeypatch.setenv("ZONESTAT_DBT_TARGET", engine)
            monkeypatch.setenv("ZONESTAT_HOME", str(h.root))
            monkeypatch.setenv("DAGSTER_HOME", str(h.dagster_home))
            capsys.readouterr()
            assert cli.main(list(args)) == 0
            return capsys.readouterr().out

        findings = {engine: sorted(json.loads(cli(h, engine, "findings", "--json")), key=lambda f: f["finding_id"])
                    for h, engine in ((on_duckdb, "duckdb"), (on_postgres, "postgres"))}
        assert len(findings["duckdb"]) > 5 and findings["duckdb"] == findings["postgres"]
        # a file checked among the published reports, as if it had arrived: the same on both engines
        typed_in_dong = tmp_path / "typed-in-dong.xlsx"
        another_version(source, typed_in_dong, "chinh_thuc", factor=1000)
        checked = {engine: json.loads(cli(h, engine, "validate", str(typed_in_dong), "--against", "published", "--json"))
                   for h, engine in ((on_duckdb, "duckdb"), (on_postgres, "postgres"))}
        assert checked["duckdb"] == checked["postgres"]
        assert "magnitude.against_history" in {f["rule"] for f in checked["postgres"][0]["findings"]}
        summaries = {engine: cli(h, engine, "refresh") for h, engine in ((on_duckdb, "duckdb"), (on_postgres, "postgres"))}
        assert "Published warehouse: postgresql://127.0.0.1" in summaries["postgres"]
        counts = [[line for line in summaries[e].splitlines() if line.startswith(("Submissions:", "Door findings",
                                                                                  "Warehouse findings"))]
                  for e in ("duckdb", "postgres")]
        assert len(counts[0]) == 3 and counts[0][0].split("(")[0] == counts[1][0].split("(")[0] \
            and counts[0][1:] == counts[1][1:]
        assert sorted(p.name for p in on_duckdb.reports.glob("*.xlsx")) \
            == sorted(p.name for p in on_postgres.reports.glob("*.xlsx")) != []

        with reader.cursor() as cur:  # the role reads, and cannot write
            with pytest.raises(psycopg2.Error, match="read-only transaction"):
                cur.execute("create table main.mine (x integer)")
            # the facts and the revisions are views of the store, which the role does not read itself
            cur.execute("select table_name, table_type from information_schema.tables where table_schema = 'main'")
            types = dict(cur.fetchall())
            assert {t for t, kind in types.items() if kind == "VIEW"} == set(REPORTER_YEAR_TABLES)
            assert {kind for t, kind in types.items() if t not in REPORTER_YEAR_TABLES} == {"BASE TABLE"}
            with pytest.raises(psycopg2.Error, match="permission denied"):
                cur.execute(f"select count(*) from zonestat_store.{stored[0]}")
            # the previous publication stays, listed and queried as the README says
            cur.execute("select nspname, obj_description(oid, 'pg_namespace') from pg_namespace "
                        "where starts_with(nspname, 'publication_') order by 1 desc")
            (previous, note), = cur.fetchall()
            assert note.startswith("zonestat publication ")
            cur.execute(f"select count(*) from {previous}.fct_submissions")
            assert cur.fetchone()[0] == before

            def rows(sql):
                cur.execute(sql)
                return cur.fetchall()
            # all of it as it was: the rows the new publication replaced in the store stay in the old one's views
            assert _table_sums(rows, previous) == first_publication
            # the README's queries for analysts, unchanged (the role looks in main)
            for sql in readme_sql_examples():
                cur.execute(sql)
                assert cur.fetchall(), sql
        reader.close()

        # Only the newest publications stay (ZONESTAT_KEEP_SNAPSHOTS counts main too).
        with connect(server) as con, con.cursor() as cur:
            for stamp in ("20200101t000000000000z", "20210101t000000000000z"):
                cur.execute(f"create schema publication_{stamp}")
        monkeypatch.setenv("ZONESTAT_KEEP_SNAPSHOTS", "3")
        monkeypatch.setenv("ZONESTAT_DBT_TARGET", "postgres")
        from orchestration.publish_postgres import _prune
        assert _prune(on_postgres) == ["publication_20200101t000000000000z"]
        with connect(server) as con, con.cursor() as cur:
            cur.execute("select nspname from pg_namespace where nspname like 'publication_%' order by 1")
            assert [r[0] for r in cur.fetchall()] == ["publication_20210101t000000000000z", previous]
        # with main alone kept, the store keeps only what main shows
        monkeypatch.setenv("ZONESTAT_KEEP_SNAPSHOTS", "1")
        assert _prune(on_postgres) == ["publication_20210101t000000000000z", previous]
        with connect(server) as con, con.cursor() as cur:
            for table in stored:
                cur.execute(f"select count(*) from zonestat_store.{table}")
                kept = cur.fetchone()[0]
                cur.execute(f"select count(*) from main.{table.split('__')[0]}")
                assert kept == cur.fetchone()[0]

        with DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        with connect(server, dbname="dagster") as con, con.cursor() as cur:
            cur.execute("select status from runs")
            assert [row[0] for row in cur.fetchall()] == ["SUCCESS"] * 4
            # the one-writer pool: its slot was claimed and given back, in PostgreSQL
            cur.execute("select concurrency_key, count(*) from concurrency_slots group by 1")
            assert dict(cur.fetchall()).get("warehouse") == 1
            cur.execute("select count(*) from pending_steps where concurrency_key = 'warehouse'")
            assert cur.fetchone()[0] == 0
        assert not [*on_duckdb.dagster_home.rglob("runs.db"), *on_postgres.dagster_home.rglob("runs.db")]
