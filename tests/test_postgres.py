"""zonestat on PostgreSQL, as far as it goes: Dagster's instance (runs, events, pool slots) on a
real PostgreSQL server that the test starts, configured as dagster.yaml's comment says."""

import pytest

from tests.conftest import run_refresh
from tests.fixtures.postgres import private_server, server_binaries
from tests.fixtures.workbooks import good

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


def test_the_dagster_instance_runs_on_postgresql_as_dagster_yaml_says(zhome, tmp_path, monkeypatch):
    import psycopg2

    from orchestration import environment
    from zonestat.config import ROOT_DAGSTER_YAML

    with private_server() as server:
        for name, value in server.items():
            monkeypatch.setenv(name, value)

        def connect(database):
            return psycopg2.connect(host=server["ZONESTAT_PG_HOST"], port=server["ZONESTAT_PG_PORT"],
                                    user=server["ZONESTAT_PG_USER"], password=server["ZONESTAT_PG_PASSWORD"],
                                    dbname=database)

        admin = connect("postgres")
        admin.autocommit = True
        admin.cursor().execute("create database dagster")
        admin.close()
        on_postgres = tmp_path / "dagster.yaml"
        on_postgres.write_text(uncommented_storage_section(ROOT_DAGSTER_YAML.read_text()))
        assert "\nstorage:\n  postgres:" in on_postgres.read_text()
        monkeypatch.setattr(environment, "ROOT_DAGSTER_YAML", on_postgres)
        good(zhome.inbox, "a.xlsx")
        assert run_refresh(zhome)

        from dagster import DagsterInstance

        with DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        with connect("dagster") as con, con.cursor() as cur:
            cur.execute("select status from runs")
            assert [row[0] for row in cur.fetchall()] == ["SUCCESS"]
            # the one-writer pool: its slot was claimed and given back, in PostgreSQL
            cur.execute("select concurrency_key, count(*) from concurrency_slots group by 1")
            assert dict(cur.fetchall()).get("warehouse") == 1
            cur.execute("select count(*) from pending_steps where concurrency_key = 'warehouse'")
            assert cur.fetchone()[0] == 0
        assert not list(zhome.dagster_home.rglob("runs.db"))  # nothing in SQLite
