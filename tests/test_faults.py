"""Faults of the machine and the operator, with real processes and signals."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.fixtures.processes import descendants, running
from zonestat.sample import generate


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_refresh_takes_its_dbt_build_with_it(zhome):
    # Enough reports that dbt builds for several seconds: without the parent-death signal it builds on
    # after its refresh is killed (until it next writes to the closed pipe, or finishes).
    generate(zhome.inbox, seed=5, years=(2023, 2025), provinces="01,31,34,48,79,92", today=date(2026, 11, 22))
    zonestat = Path(sys.executable).with_name("zonestat")
    refresh = subprocess.Popen([str(zonestat), "refresh"], env=dict(os.environ), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, builds = time.monotonic() + 300, {}
        while time.monotonic() < deadline and not builds:
            builds = {p: c for p, c in descendants(refresh.pid).items() if " build" in c and "dbt" in c}
            time.sleep(0.05)
        assert builds, "the refresh never started dbt build"
        time.sleep(0.5)  # dbt is working
        # zonestat-dbt, the fork of the dbt server that runs its build, the server, the door's process
        below = descendants(refresh.pid)
        assert any("orchestration.dbt_server" in c for p, c in below.items() if p not in builds), below
        refresh.send_signal(signal.SIGKILL)
        refresh.wait()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(running(p) for p in below):
            time.sleep(0.05)
        assert not any(running(p) for p in below), f"outlived their refresh: { {p: c for p, c in below.items() if running(p)} }"
    finally:
        if refresh.poll() is None:
            os.killpg(refresh.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_refresh_publishes_while_an_analyst_holds_the_warehouse_open_read_write(zhome):
    from tests.fixtures.homes import query

    generate(zhome.inbox, seed=6, years=(2024, 2024), provinces="01,34", months=(3, 6), today=date(2026, 11, 22))
    zonestat = Path(sys.executable).with_name("zonestat")
    first = subprocess.run([str(zonestat), "refresh"], capture_output=True, text=True,
                           env=dict(os.environ, ZONESTAT_PROGRESS_SECONDS="0"))
    assert first.returncode == 0, first.stdout[-2000:]
    # Not a terminal: the reading of the files shows as lines (here one per file), each short, at INFO.
    console = first.stdout + first.stderr
    assert "reading new files: 1 of 4 files (25%)" in console and "reading new files: 4 files in " in console
    assert max(len(line) for line in console.splitlines()) < 1000 and " - DEBUG - " not in console
    # DBeaver's default: a read-write connection, which takes DuckDB's exclusive lock on the file.
    holder = subprocess.Popen([sys.executable, "-c", f"""
import duckdb, sys
con = duckdb.connect({str(zhome.published_db)!r})
print(con.execute("select count(*) from fct_submissions").fetchone()[0], flush=True)
sys.stdin.read()
print(con.execute("select count(*) from fct_submissions").fetchone()[0], flush=True)
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        held = int(holder.stdout.readline())
        generate(zhome.inbox, seed=6, years=(2024, 2024), provinces="79", months=(3,), today=date(2026, 11, 22))
        (zhome.inbox / "ban_nhap.csv").write_text("ma_tinh,ky_bao_cao\n79,2024-03\n", encoding="utf-8")
        os.utime(zhome.inbox / "ban_nhap.csv", (time.time() - 60, time.time() - 60))  # settled
        second = subprocess.run([str(zonestat), "refresh"], capture_output=True, text=True, env=dict(os.environ))
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        # the summary names the file this refresh rejected and its first error, counts the door's
        # findings apart from the warehouse's, and says how long it took
        assert "Submissions: 5 accepted, 1 rejected" in second.stdout
        [rejected] = [line for line in second.stdout.splitlines() if "rejected now:" in line]
        assert rejected == "  rejected now: ban_nhap.csv: rows 1-2: no header row with the columns ma_chi_tieu " \
            "and gia_tri in the first 30 rows of the table", rejected
        assert "Door findings (files): 1 (1 error)" in second.stdout and "Warehouse findings (rules): " in second.stdout
        assert re.search(r"^Took \d+ s\.$", second.stdout, flags=re.M)
        findings = subprocess.run([str(zonestat), "findings", "--lang", "en"], capture_output=True, text=True,
                                  env=dict(os.environ))
        assert findings.returncode == 0 and "findings" in findings.stdout
        holder.stdin.close()
        assert int(holder.stdout.readline()) == held == 4  # the analyst's file: undisturbed
    finally:
        holder.kill()
        holder.wait()
    assert query(zhome.published_db, "select count(*) as n from fct_submissions")["n"][0] == 6  # 5 accepted, 1 rejected


@pytest.fixture
def small_disk(tmp_path):
    """A 200 MiB tmpfs, mounted for the test and unmounted after it."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file that leaves `leave` bytes free on the disk."""
    import shutil

    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as out:
        out.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = free - leave
        while remaining > 0:
            remaining -= out.write(chunk[:min(len(chunk), remaining)])
    return filler


@pytest.mark.slow
def test_a_full_disk_fails_the_publish_cleanly_and_the_next_one_succeeds(small_disk, monkeypatch):
    from dagster import DagsterInstance

    from orchestration.disk import NotEnoughSpace, warehouse_size
    from orchestration.publish import PublishBlocked, publish
    from orchestration.runs import refresh_in_process, step_failures
    from tests.fixtures.homes import pointed_at, run_refresh
    from zonestat.config import Home

    home = pointed_at(Home(small_disk / "home"))
    generate(home.inbox, seed=7, years=(2024, 2024), provinces="01,34", months=(3, 6), today=date(2026, 11, 22))
    assert run_refresh(home)
    published = home.published_db.read_bytes()
    snapshots = sorted(home.snapshots.iterdir())
    size = warehouse_size(home)

    # Half a warehouse free: the preflight says so before anything is written.
    filler = fill(small_disk, leave=size // 2)
    with pytest.raises(NotEnoughSpace, match="needs about .* free"):
        publish(home)
    # A refresh with a new file stops before its dbt build, saying so; the publication stays.
    generate(home.inbox, seed=7, years=(2024, 2024), provinces="01", months=(9,), today=date(2026, 11, 22))
    with DagsterInstance.get() as instance:
        result = refresh_in_process(instance)
    failed = step_failures(result)  # what `zonestat refresh` prints of a failed run
    assert not result.success and "The dbt build needs about" in failed.get("warehouse_models", ""), failed
    assert home.published_db.read_bytes() == published
    # Without the preflight the copy runs into the full disk: what it wrote is given back.
    monkeypatch.setenv("ZONESTAT_SPACE_FACTOR", "0")
    with pytest.raises(PublishBlocked, match="publishing failed"):
        publish(home)
    assert sorted(home.snapshots.iterdir()) == snapshots
    assert not list(home.root.glob(".*.tmp")) and not list(home.snapshots.glob(".*"))
    assert home.published_db.read_bytes() == published
    filler.unlink()
    monkeypatch.delenv("ZONESTAT_SPACE_FACTOR")
    assert publish(home).snapshot.exists()


@pytest.mark.slow
def test_dbt_run_output_the_run_history_and_the_snapshots_stay_bounded_and_nothing_received_goes(
        zhome, monkeypatch):
    from dagster import DagsterInstance

    from tests.fixtures.homes import run_refresh

    monkeypatch.setenv("ZONESTAT_KEEP_DBT_RUNS", "1")  # a refresh runs dbt twice: each leaves a folder
    monkeypatch.setenv("ZONESTAT_KEEP_RUNS", "1")
    monkeypatch.setenv("ZONESTAT_KEEP_SNAPSHOTS", "1")
    generate(zhome.inbox, seed=8, years=(2024, 2024), provinces="01", months=(3,), today=date(2026, 11, 22))
    (zhome.inbox / "truncated.xlsx").write_bytes(b"PK\x03\x04 not a whole workbook")
    assert run_refresh(zhome)

    def received() -> set[Path]:  # what the README says is never pruned
        return {p for folder in (zhome.archive, zhome.landing, zhome.quarantine) for p in folder.rglob("*")}
    first = received()
    generate(zhome.inbox, seed=8, years=(2024, 2024), provinces="01", months=(6,), today=date(2026, 11, 22))
    assert run_refresh(zhome)
    assert len([p for p in zhome.dbt_target.iterdir() if p.is_dir()]) == 1
    assert len(zhome.snapshots_oldest_first()) == 1
    with DagsterInstance.get() as instance:
        assert len(instance.get_run_records()) <= 2  # the one kept, and the one that pruned the others
    assert first < received() and any(zhome.quarantine.iterdir())  # the archive, landing, quarantine: all kept


@pytest.mark.slow
def test_processes_opening_a_new_home_at_once_all_get_the_dagster_instance(tmp_path):
    # Dagster's SQLite storages create their tables on first open: unserialised, some of four
    # processes failed with "table runs already exists" (seen in CI as a failed second refresh).
    code = ("from orchestration import environment\nenvironment.prepare()\n"
            "with environment.dagster_instance() as instance:\n    instance.get_run_records()")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {"ZONESTAT_HOME": str(tmp_path / "home")}
    openers = [subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    errors = [opener.communicate(timeout=120)[1] for opener in openers]
    assert [opener.returncode for opener in openers] == [0] * 4, "\n".join(errors)[-3000:]


@pytest.mark.slow
def test_two_refreshes_at_once_do_the_work_once_and_both_say_what_happened(zhome):
    from ingest import land

    generate(zhome.inbox, seed=9, years=(2024, 2024), provinces="01,34,79", months=(3, 6, 9), today=date(2026, 11, 22))
    files = len(list(zhome.inbox.iterdir()))
    zonestat = Path(sys.executable).with_name("zonestat")
    runs = [subprocess.Popen([str(zonestat), "refresh"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=dict(os.environ)) for _ in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output[-3000:]
        assert "not replaced" not in output and "Published warehouse" in output
    ledger = land.read_table(zhome.landing, "submissions")
    assert len(ledger) == files and ledger.submission_id.is_unique  # each file taken in once
    assert sum(len(list((zhome.landing / t).glob("*.parquet"))) for t in ("submissions",)) == files + 1
