"""The Dagster code location: `dagster dev -m orchestration.definitions` (or `zonestat ui`)."""


import dagster as dg

from orchestration import environment
from orchestration.assets import (
    FACT_CHECKS,
    build_dbt_assets,
    feedback_reports,
    landing,
    published_warehouse,
    rule_findings,
)
from orchestration.dbt import dbt_resource
from orchestration.fingerprint import NOTHING_NEW, nothing_new
from orchestration.resources import ZonestatHome
from orchestration.runs import REFRESH_JOB
from orchestration.sensors import build_inbox_sensor

NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Ho_Chi_Minh"


def build_definitions() -> dg.Definitions:
    h = environment.prepare()
    refresh = dg.define_asset_job(
        REFRESH_JOB, selection=dg.AssetSelection.all(),
        description="Ingest new files, build the warehouse, run every check, publish.",
        tags={"zonestat/job": REFRESH_JOB},
        # One process for the whole run, as `zonestat refresh` does: the steps run one after another
        # anyway (they share the one-writer pool), and a process per step cost each step its imports.
        executor_def=dg.in_process_executor,
    )
    @dg.schedule(name="nightly_refresh", job=refresh, cron_schedule=NIGHTLY_CRON,
                 execution_timezone=NIGHTLY_TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Everything, every night (growth checks depend on other boards' submissions), "
                             "unless nothing has changed since the last publication.")
    def nightly(context: dg.ScheduleEvaluationContext):
        if nothing_new(h):
            return dg.SkipReason(NOTHING_NEW)
        return dg.RunRequest()

    return dg.Definitions(
        assets=[landing, *build_dbt_assets(h), rule_findings, published_warehouse, feedback_reports],
        asset_checks=FACT_CHECKS,
        jobs=[refresh],
        schedules=[nightly],
        sensors=[build_inbox_sensor(refresh)],
        resources={"dbt": dbt_resource(h), "zonestat_home": ZonestatHome(root=str(h.root))},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by Dagster's tools when they need it, not on import: building the definitions prepares
    the home (folders, the instance's dagster.yaml) and may parse the dbt project."""
    return build_definitions()
