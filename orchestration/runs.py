"""Running the refresh job in-process (`zonestat refresh`), safely next to the UI and the daemon.

An in-process run holds the "warehouse" pool slot in the Dagster instance while it builds. If
its process is killed, nothing would ever give the slot back and every later run would queue
behind it forever. Each in-process run therefore records its pid and host, and the next one
first fails the runs whose process is gone and frees their slots. (Runs launched by the
daemon are watched by Dagster's run monitoring, enabled in dagster.yaml.)
"""

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

REFRESH_JOB = "refresh"
# what started a run (cli, inbox), its process and host (an in-process run's, for reap_dead_runs)
TRIGGER_TAG, PID_TAG, HOST_TAG = "zonestat/trigger", "zonestat/pid", "zonestat/host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_dead_runs(instance: DagsterInstance) -> list[str]:
    """Fail the in-process runs of this host whose process died, and free their pool slots."""
    reaped = []
    in_flight = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING]))
    for run in in_flight:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid is None or host != socket.gethostname() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its process ({pid}) is gone: killed or crashed mid-run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped


def in_flight_refreshes(instance: DagsterInstance) -> list[str]:
    """Runs of the refresh job that are under way now (after the dead ones are reaped), as 'id (trigger)'."""
    reap_dead_runs(instance)
    runs = instance.get_runs(RunsFilter(job_name=REFRESH_JOB, statuses=[DagsterRunStatus.STARTED,
                                                                        DagsterRunStatus.STARTING]))
    return [f"{run.run_id[:8]} ({run.tags.get(TRIGGER_TAG, run.tags.get('dagster/sensor_name', 'daemon'))})"
            for run in runs]


def refresh_in_process(instance: DagsterInstance):
    """Execute the refresh job in this process against `instance`; returns Dagster's result."""
    from orchestration.definitions import build_definitions

    reap_dead_runs(instance)
    job = build_definitions().resolve_job_def(REFRESH_JOB)
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), TRIGGER_TAG: "cli"}
    # The console shows what happened (INFO), not every engine event of every step (DEBUG): those
    # stay in the run's event log, in the UI.
    return job.execute_in_process(instance=instance, raise_on_error=False, tags=tags,
                                  run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})


def step_failures(result) -> dict[str, str]:
    """Why each failed step of a run (Dagster's result) failed, in the words of what raised it:
    Dagster wraps an exception raised in a step in one of its own, whose message says only that
    the step failed."""
    reasons = {}
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            while error.cause is not None and error.cls_name == "DagsterExecutionStepExecutionError":
                error = error.cause
            reasons[event.step_key] = error.message.strip()
    return reasons
