"""bench/refresh: `zonestat refresh` from empty, a nightly refresh with nothing new, and a refresh
after one province resubmits one month; each with its peak memory (dbt's process included).

On the full sample history: `zonestat sample`'s default range, 2019-01 to this month, every
province (63 before July 2025, 34 after) and bloc, monthly.

Targets: nothing new <= 1/10 of from-empty; one resubmission <= 1/5; peak memory < 2 GiB.
The resubmission's run is broken down by step (step_seconds), from the home's Dagster event log.

`engines()` (also `python -m bench engines`): from empty and one resubmission on DuckDB and on
PostgreSQL (ZONESTAT_DBT_TARGET=postgres, a private server started for the run), in one run.
Targets: PostgreSQL from empty at most 3 times DuckDB; one resubmission at most 1/5 of its own
engine's from-empty.

`sensor()` (also `python -m bench sensor`): one file refreshed by a run that the inbox sensor
starts and the Dagster daemon launches, side by side with `zonestat refresh` of the same file
in a twin home. Target: the sensor's run at most 1.2 times the CLI.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import BENCH_DIR, measure, record, sample


def refresh(home: str, env: dict[str, str] | None = None) -> dict:
    return measure(env=env, code=f"""
import os, subprocess, sys
from pathlib import Path
env = dict(os.environ, ZONESTAT_HOME={home!r}, DAGSTER_HOME={home!r} + "/dagster")
zonestat = Path(sys.executable).with_name("zonestat")
done = subprocess.run([str(zonestat), "refresh"], env=env, capture_output=True, text=True)
assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
""")


def step_seconds(home: str) -> dict[str, float | dict[str, float]]:
    """Where the latest run of the home's Dagster instance spent its time: "run_creation", from its
    first event to its start (Dagster records a planned event for each asset and check of the run
    as it creates it), each step's seconds, from its start to its end, and "outside_steps", the rest
    of the run (Dagster's own work between steps). What `zonestat refresh` took beyond the run
    (outside_run_seconds) is its process starting, loading the definitions and printing the summary."""
    import dagster as dg

    from zonestat.config import Home

    with dg.DagsterInstance.from_config(str(Home(Path(home)).dagster_home)) as instance:
        run = instance.get_run_records(limit=1)[0].dagster_run
        entries = instance.all_logs(run.run_id)
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in entries:
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.PIPELINE_START:
            seconds["run_creation"] = round(entry.timestamp - entries[0].timestamp, 2)
        elif event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            seconds[event.step_key] = round(entry.timestamp - started[event.step_key], 2)
    run_seconds = entries[-1].timestamp - entries[0].timestamp
    return {**seconds, "outside_steps": round(run_seconds - sum(seconds.values()), 2), "run": round(run_seconds, 2),
            "of_which_dbt_itself": _dbt_seconds(Home(Path(home)), run.run_id)}


def _dbt_seconds(h, run_id: str) -> dict[str, float]:
    """Of each dbt step of the run, the seconds dbt itself logged, from its first line to its last
    (its run folder's dbt.log, orchestration/dbt.py): the rest of the step is dagster-dbt's."""
    import json
    from datetime import datetime

    spans = {}
    for log in sorted(h.dbt_target.glob(f"*-{run_id[:7]}-*/dbt.log")):
        stamps = [json.loads(line)["info"]["ts"] for line in log.read_text().splitlines() if line.startswith("{")]
        if stamps:
            first, last = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (stamps[0], stamps[-1]))
            spans[log.parent.name.split(f"-{run_id[:7]}-")[0]] = round((last - first).total_seconds(), 2)
    return spans


def full_history() -> list[Path]:
    files = sample("history-full", seed=5, csv_share=0.1)  # zonestat sample's defaults: 2019 to today
    return sorted(p for p in files.iterdir() if p.suffix in (".xlsx", ".csv"))


def _home_with(history: list[Path], name: str) -> Path:
    home = BENCH_DIR / name
    shutil.rmtree(home, ignore_errors=True)
    (home / "inbox").mkdir(parents=True)
    for path in history:
        shutil.copy(path, home / "inbox")
    return home


def resubmit_one_month(home: Path, files: Path | None = None) -> None:
    """Thái Bình's June 2019 again, as the official version (from the home's inbox or `files`)."""
    from zonestat.submission_files import another_version

    resubmitted = sorted((files or home / "inbox").glob("34_2008_2019-06.*"))[0]
    another_version(resubmitted, home / "inbox" / "34_2019-06_official.xlsx", "chinh_thuc")


def run() -> dict:
    history = full_history()
    home = _home_with(history, "refresh-home")
    empty = refresh(str(home))
    nothing = refresh(str(home))
    resubmit_one_month(home)
    one = refresh(str(home))
    one_steps = step_seconds(str(home))
    periods = sorted({p.stem.split("_")[2] for p in history})
    outcome = {
        "history": f"{periods[0]} to {periods[-1]}", "files": len(history),
        "from_empty_seconds": round(empty["seconds"], 1), "nothing_new_seconds": round(nothing["seconds"], 1),
        "one_resubmission_seconds": round(one["seconds"], 1),
        "nothing_new_vs_empty": round(nothing["seconds"] / empty["seconds"], 3),
        "one_resubmission_vs_empty": round(one["seconds"] / empty["seconds"], 3),
        "one_resubmission_steps_seconds": one_steps,
        "one_resubmission_outside_run_seconds": round(one["seconds"] - one_steps["run"], 1),
        "peak_mib": {"from_empty": round(empty["peak_mib"]), "nothing_new": round(nothing["peak_mib"]),
                     "one_resubmission": round(one["peak_mib"])},
        "targets": {"nothing_new_vs_empty": "<= 0.1", "one_resubmission_vs_empty": "<= 0.2", "peak_mib": "< 2048"},
    }
    record("refresh", outcome)
    return outcome


def engines() -> dict:
    from tests.fixtures.postgres import private_server  # Debian's postgresql, as the tests start it

    history = full_history()
    outcome: dict = {"files": len(history)}
    with private_server() as server:
        import psycopg2

        admin = psycopg2.connect(host=server["ZONESTAT_PG_HOST"], port=server["ZONESTAT_PG_PORT"],
                                 user=server["ZONESTAT_PG_USER"], password=server["ZONESTAT_PG_PASSWORD"],
                                 dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("create database zonestat")
        admin.close()
        for engine in ("duckdb", "postgres"):
            env = {**server, "ZONESTAT_DBT_TARGET": engine}
            home = _home_with(history, f"refresh-{engine}")
            empty = refresh(str(home), env)
            empty_steps = step_seconds(str(home))
            resubmit_one_month(home)
            one = refresh(str(home), env)
            outcome[engine] = {"from_empty_seconds": round(empty["seconds"], 1),
                               "one_resubmission_seconds": round(one["seconds"], 1),
                               "steps_seconds": {"from_empty": empty_steps, "one_resubmission": step_seconds(str(home))},
                               "one_resubmission_vs_empty": round(one["seconds"] / empty["seconds"], 3),
                               "peak_mib": {"from_empty": round(empty["peak_mib"]), "one_resubmission": round(one["peak_mib"])}}
    outcome["postgres_vs_duckdb_from_empty"] = round(
        outcome["postgres"]["from_empty_seconds"] / outcome["duckdb"]["from_empty_seconds"], 2)
    outcome["targets"] = {"postgres_vs_duckdb_from_empty": "<= 3", "one_resubmission_vs_empty": "<= 0.2"}
    record("refresh-engines", outcome)
    return outcome


def _empty_home(name: str) -> dict[str, str]:
    home = BENCH_DIR / name
    shutil.rmtree(home, ignore_errors=True)
    (home / "inbox").mkdir(parents=True)
    env = dict(os.environ, ZONESTAT_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
    # The instance's dagster.yaml in place before the daemon reads it, as `zonestat` puts it, and
    # dbt's manifest parsed in both twins (the daemon's code server parses it as it starts).
    subprocess.run([sys.executable, "-c", "from orchestration import environment, dbt; "
                    "dbt.ensure_manifest(environment.prepare())"], env=env, check=True)
    return env


def _sensor_run_seconds(env: dict[str, str], file: Path) -> float:
    """The daemon runs as in production (started and settled first); the file is dropped into the
    inbox, the sensor requests a run and the daemon launches it. The run's seconds from its
    creation (the sensor's request) to its end: queue, process start and code loading included."""
    import dagster as dg

    daemon = subprocess.Popen([str(Path(sys.executable).with_name("dagster-daemon")), "run",
                               "-m", "orchestration.definitions"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        time.sleep(45)  # the daemon's own start (code server, first ticks) is not the run's cost
        shutil.copy(file, Path(env["ZONESTAT_HOME"]) / "inbox")
        deadline = time.time() + 900
        with dg.DagsterInstance.get() as instance:
            while time.time() < deadline:
                records = instance.get_run_records(dg.RunsFilter(tags={"dagster/sensor_name": "inbox_sensor"}))
                if records and records[0].dagster_run.status in (dg.DagsterRunStatus.SUCCESS,
                                                                   dg.DagsterRunStatus.FAILURE):
                    record = records[0]
                    assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS, "the sensor's run failed"
                    return record.end_time - record.create_timestamp.timestamp()
                time.sleep(0.5)
        raise RuntimeError("no run of the inbox sensor finished within 15 minutes")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=60)


def _cli_refresh_seconds(name: str, file: Path) -> float:
    env = _empty_home(name)
    shutil.copy(file, Path(env["ZONESTAT_HOME"]) / "inbox")
    return refresh(env["ZONESTAT_HOME"])["seconds"]  # `zonestat refresh`, as the full-history runs measure it


def sensor() -> dict:
    file = sorted(sample("one-province-month", seed=5, years=(2024, 2024), provinces="01", months=(6,),
                         csv_share=0.0).glob("*.xlsx"))[0]
    # The CLI before and after the sensor's run, each in a new home: the ratio is against the faster
    # (a slow outlier of the CLI must not flatter the sensor).
    before = _cli_refresh_seconds("sensor-twin-cli", file)
    through_sensor = _sensor_run_seconds(_empty_home("sensor-twin-daemon"), file)
    after = _cli_refresh_seconds("sensor-twin-cli", file)
    cli = min(before, after)
    outcome = {"file": file.name, "cli_refresh_seconds": [round(before, 1), round(after, 1)],
               "sensor_run_seconds": round(through_sensor, 1),
               "sensor_vs_cli": round(through_sensor / cli, 2), "target": "<= 1.2"}
    record("refresh-sensor", outcome)
    return outcome
