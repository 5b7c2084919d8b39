"""Orchestration and publishing: the code location loads, the schedule and sensor do what they
say, a refresh is idempotent, superseding works, and the published warehouse is never half-built."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from expectations import engine
from orchestration.definitions import NIGHTLY_CRON, NIGHTLY_TIMEZONE, build_definitions
from orchestration.publish import table_row_counts
from orchestration.runs import refresh_in_process
from orchestration.sensors import inbox_changes
from tests.fixtures.homes import query, run_refresh
from tests.fixtures.network import free_port
from tests.fixtures.processes import naming
from tests.fixtures.workbooks import good

pytestmark = pytest.mark.slow  # builds a warehouse with dbt and Dagster (or drives a browser)

REPO = Path(__file__).resolve().parent.parent


def test_importing_the_code_location_writes_nothing(tmp_path):
    """The definitions are built when Dagster loads them (@dg.definitions), not on import: importing
    the module creates no folder and parses nothing."""
    root = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZONESTAT_", "DAGSTER_"))}
    done = subprocess.run([sys.executable, "-c", "import orchestration.definitions"], cwd=REPO, capture_output=True,
                          text=True, env=env | {"ZONESTAT_HOME": str(root)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not root.exists()


def test_zonestat_ui_starts_from_a_clone_without_warning_about_the_repository_s_dagster_yaml(tmp_path):
    """`make ui` (zonestat ui) from the repository, whose dagster.yaml the instance's is copied from."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZONESTAT_", "DAGSTER_"))}
    ui = subprocess.Popen([str(Path(sys.executable).with_name("zonestat")), "ui", "--port", str(port)], cwd=REPO,
                          env=env | {"ZONESTAT_HOME": str(tmp_path / "home")}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True)
    said = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Serving dagster-webserver" in line for line in said):
            said.append(ui.stdout.readline())
        assert any("Serving dagster-webserver" in line for line in said), "".join(said)[-3000:]
        assert not any("will not be used" in line for line in said), "".join(said)[-3000:]
        # Stopped as a service manager stops it: every process of the UI ends, within its grace period.
        ui.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        ui.wait(timeout=60)
        while time.monotonic() < sent + 60 and naming(str(tmp_path)):
            time.sleep(0.2)
        assert not naming(str(tmp_path))
        assert time.monotonic() - sent < 15  # the README's "within about 10 seconds"
    finally:
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()


def test_code_location_validates(zhome):
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run([str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
                            capture_output=True, text=True, cwd=REPO, env=os.environ.copy(), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Validation successful" in result.stderr + result.stdout


def test_asset_graph_is_connected_from_file_to_published_table(zhome):
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"landing/figures", "landing/submissions", "stg_landing__figures", "fct_investment", "dq_findings",
            "published_warehouse"} <= keys
    upstream = graph.get(dg.AssetKey("published_warehouse")).parent_keys
    assert dg.AssetKey("dq_findings") in upstream
    assert dg.AssetKey(["landing", "figures"]) in graph.get(dg.AssetKey("stg_landing__figures")).parent_keys
    # the quality step, downstream of every table it reads (tests/test_quality_reads.py), and upstream of dq_findings
    rules = graph.get(dg.AssetKey(["quality", "dq_rule_findings"]))
    assert rules.parent_keys == {dg.AssetKey(table) for table in engine.READS}
    assert dg.AssetKey("dq_findings") in rules.child_keys
    checks = {c.name for c in graph.asset_check_keys}
    assert "fct_investment_reported_figures_consistent" in checks
    assert "unique_fct_investment_figure_key" in checks  # dbt tests are asset checks
    # A run the sensor or the schedule starts runs its steps in one process, as `zonestat refresh`
    # does: a process per step cost each step its imports (four times the CLI's time).
    assert defs.resolve_job_def("refresh").executor_def is dg.in_process_executor


def test_nightly_schedule(zhome):
    schedule = build_definitions().resolve_schedule_def("nightly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == (NIGHTLY_CRON, NIGHTLY_TIMEZONE)
    assert (NIGHTLY_CRON, NIGHTLY_TIMEZONE) == ("0 2 * * *", "Asia/Ho_Chi_Minh")
    assert schedule.job_name == "refresh"


def test_sensor_starts_a_run_for_new_or_changed_files_only(zhome, tmp_path):
    sensor = build_definitions().resolve_sensor_def("inbox_sensor")
    # The daemon asks it no more often than this; between its asks, a dropped file waits (the README's 30 s).
    assert sensor.minimum_interval_seconds == 30
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert isinstance(sensor.evaluate_tick(context).skip_message, str)  # empty inbox
        path = good(zhome.inbox, "a.xlsx")
        first = sensor.evaluate_tick(context)
        assert len(first.run_requests) == 1 and first.run_requests[0].job_name in (None, "refresh")
        context = dg.build_sensor_context(instance=instance, cursor=first.cursor)
        second = sensor.evaluate_tick(context)
        assert not second.run_requests  # unchanged
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # touched, same bytes
        context = dg.build_sensor_context(instance=instance, cursor=second.cursor)
        third = sensor.evaluate_tick(context)
        assert not third.run_requests
        good(zhome.inbox, "a.xlsx", value="22")  # same name, new content
        context = dg.build_sensor_context(instance=instance, cursor=third.cursor)
        assert len(sensor.evaluate_tick(context).run_requests) == 1


def test_sensor_cursor_is_on_content_hashes(zhome):
    good(zhome.inbox, "a.xlsx")
    new, cursor = inbox_changes(None)
    (zhome.inbox / "copy.xlsx").write_bytes((zhome.inbox / "a.xlsx").read_bytes())
    again, _ = inbox_changes(cursor)
    assert len(new) == 1 and again == []


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return table_row_counts(con)


def kill_refresh_during_dbt() -> None:
    """Start `zonestat refresh` in a real subprocess and SIGKILL it while dbt writes the work database."""
    zonestat = Path(sys.executable).with_name("zonestat")
    proc = subprocess.Popen([str(zonestat), "refresh"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=REPO, env=os.environ.copy(), start_new_session=True)
    deadline = time.time() + 240
    for line in proc.stdout:
        if "Running dbt command" in line or time.time() > deadline:
            break
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_warehouse_lifecycle(zhome, capfd):
    """One warehouse through its life; each full refresh costs a dbt build, so the steps share it."""
    # 1. A first estimate is published.
    good(zhome.inbox, "estimate.xlsx", value="21")
    assert run_refresh(zhome)
    first = counts(zhome.published_db)
    first_ids = set(query(zhome.published_db, "select finding_id from dq_findings")["finding_id"])

    # 2. Nothing new: the same tables, rows and findings (idempotent); nothing is republished. A run
    # started anyway (from the UI) builds, and every check reports a real result, none "Skipped",
    # without a warning or a line of kilobytes on the console.
    published_inode = zhome.published_db.stat().st_ino
    capfd.readouterr()
    with dg.DagsterInstance.get() as instance:
        result = refresh_in_process(instance)
        assert result.success
        evaluations = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        checks = build_definitions().resolve_asset_graph().asset_check_keys
        assert len(evaluations) == len(checks)
        assert not [e for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    said = "".join(capfd.readouterr())
    assert "refresh" in said and "without gating" not in said and max(map(len, said.splitlines()), default=0) < 1000
    assert zhome.published_db.stat().st_ino == published_inode
    assert counts(zhome.published_db) == first
    assert set(query(zhome.published_db, "select finding_id from dq_findings")["finding_id"]) == first_ids
    # ... and neither the nightly schedule nor `zonestat refresh` starts a run: the checks' results stand.
    from orchestration.fingerprint import NOTHING_NEW

    schedule = build_definitions().resolve_schedule_def("nightly_refresh")
    with dg.DagsterInstance.get() as instance:
        runs = len(instance.get_run_records())
        tick = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        assert not tick.run_requests and tick.skip_message == NOTHING_NEW
        # The sensor's first tick (no cursor yet) does not start a run for the file the CLI took in.
        sensor = build_definitions().resolve_sensor_def("inbox_sensor")
        first_look = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not first_look.run_requests and "already taken in" in first_look.skip_message
    zonestat = Path(sys.executable).with_name("zonestat")
    inbox = sorted(zhome.inbox.iterdir())
    again = subprocess.run([str(zonestat), "refresh", "--sample-if-empty"], capture_output=True, text=True,
                           env=dict(os.environ))
    assert again.returncode == 0 and NOTHING_NEW in again.stdout and "Submissions: 1 accepted" in again.stdout
    assert sorted(zhome.inbox.iterdir()) == inbox  # `make run`'s sample is written into an empty inbox only
    assert "without gating" not in again.stdout + again.stderr
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_run_records()) == runs

    # 3. The official figure supersedes the estimate while an analyst holds the warehouse open.
    with dg.DagsterInstance.get() as instance:  # a new file: the schedule starts a run again
        good(zhome.inbox, "official.xlsx", value="25", status="chinh_thuc")
        assert len(schedule.evaluate_tick(dg.build_schedule_context(instance=instance)).run_requests) == 1
    reader = duckdb.connect(str(zhome.published_db), read_only=True)
    seen = reader.execute("select value from fct_investment where indicator_code = 'INV_NEW_PROJ'").fetchall()
    good(zhome.inbox, "official.xlsx", value="25", status="chinh_thuc")
    assert run_refresh(zhome)
    assert reader.execute("select value from fct_investment where indicator_code = 'INV_NEW_PROJ'").fetchall() == seen
    reader.close()
    current = query(zhome.published_db, """select value, status, revision_number from fct_investment
                                           where indicator_code = 'INV_NEW_PROJ'""")
    assert current.to_dict("records") == [{"value": 25.0, "status": "chinh_thuc", "revision_number": 2}]
    history = query(zhome.published_db, """select value, is_current from fct_figure_revisions
                                           where indicator_code = 'INV_NEW_PROJ' order by revision_number""")
    assert history.to_dict("records") == [{"value": 21.0, "is_current": False}, {"value": 25.0, "is_current": True}]
    assert len(zhome.snapshots_oldest_first()) == 2
    published = counts(zhome.published_db)

    # 4. A run killed in the middle of the dbt build leaves the publication intact and readable.
    good(zhome.inbox, "later.xlsx", value="30", status="chinh_thuc")
    kill_refresh_during_dbt()
    assert counts(zhome.published_db) == published
    assert run_refresh(zhome)  # the next refresh is not blocked by the dead run's pool slot
    assert query(zhome.published_db, "select value from fct_investment where indicator_code = 'INV_NEW_PROJ'"
                 )["value"].tolist() == [30.0]
    published = counts(zhome.published_db)

    # 5. A blocking failure (landed data lost, so published rows would vanish unexplained)
    #    fails the run and leaves the last good publication in place.
    for landed in (zhome.landing / "figures").glob("[0-9a-f]*.parquet"):
        landed.unlink()
    assert not run_refresh(zhome)
    assert counts(zhome.published_db) == published
