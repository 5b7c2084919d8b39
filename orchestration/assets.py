"""The asset graph, in data-flow order: inbox -> landing -> dbt models -> quality -> published warehouse.

The ingest asset's keys are the dbt sources' keys (landing/<table> for each of LANDING_TABLES),
so the lineage is one connected graph from file to published table.
The steps that write the landing or the work database, and the checks that read it, share the
pool "warehouse" (one slot): DuckDB allows a single writer, a second refresh's ingest would
take in the same files again, and Dagster queues the others instead of letting them fail.
"""


from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from expectations.engine import READS as QUALITY_READS
from expectations.engine import RULE_FINDINGS_TABLE
from expectations.quality import write_catalogue
from orchestration.dbt import dbt_project, ensure_manifest, run_dbt
from orchestration.disk import ensure_free_space, prune
from orchestration.fingerprint import (
    inputs_fingerprint,
    needs_full_refresh,
    record_build,
    record_publication,
    rules_basis,
    unchanged_since_publication,
)
from orchestration.publish import unpublished_submissions
from orchestration.resources import ZonestatHome
from zonestat import reference, target, warehouse
from zonestat.config import Home

WAREHOUSE_POOL = "warehouse"
LANDING_TABLES = ("submissions", "figures", "findings", "fx_rates")
FACTS = reference.fact_tables()
TRANSIENT = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)


@dg.multi_asset(
    specs=[dg.AssetSpec(dg.AssetKey(["landing", t]), group_name="ingest", kinds={"parquet"},
                        description=f"landing/{t}: immutable Parquet per submission version (ingest/land.py)")
           for t in LANDING_TABLES],
    retry_policy=TRANSIENT, pool=WAREHOUSE_POOL,  # two refreshes at once must not ingest the same files twice
)
def landing(context: dg.AssetExecutionContext, zonestat_home: ZonestatHome) -> Iterator[dg.MaterializeResult]:
    """Ingest every new file in the inbox: archive, parse, check at the door (GX), land or quarantine."""
    from ingest.pipeline import ingest_inbox
    from ingest.rates import ingest_rates
    from orchestration.dbt_server import start_dbt_server

    start_dbt_server()  # dbt imports on the other core while this step reads (a daemon's run; the CLI's has one)
    h = zonestat_home.home()
    summary = ingest_inbox(h, say=context.log.info)
    context.log.info(f"received {summary.received}, new {len(summary.accepted) + len(summary.rejected)}, "
                     f"accepted {len(summary.accepted)}, rejected {len(summary.rejected)}")
    rates = ingest_rates(h)
    for name in rates.accepted:
        context.log.info(f"exchange rates taken in: {name}")
    for findings in rates.rejected.values():
        context.log.warning(f"exchange rates refused, kept in quarantine/rates: {findings[0].message}")
    for line in summary.skipped:
        context.log.info(f"not taken this time: {line}")
    if target.on_postgres():  # PostgreSQL reads no Parquet: the new landed files are copied in
        from ingest.load_postgres import load_landing

        loaded = load_landing(h.landing, target.connect_postgres)
        context.log.info("landing copied into PostgreSQL: " + ", ".join(f"{t} {n}" for t, n in loaded.items()))
    meta = {
        "files_received": summary.received, "files_already_known": summary.already_known,
        "submissions_accepted": len(summary.accepted), "submissions_rejected": len(summary.rejected),
        "figures_landed": summary.figures_landed,
        "door_findings": dg.MetadataValue.json(summary.findings_by_rule),
        "files_skipped": dg.MetadataValue.json(summary.skipped),
        "rates_files_accepted": len(rates.accepted), "rates_files_rejected": len(rates.rejected),
    }
    for table in LANDING_TABLES:
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["landing", table]), metadata=meta)


class ZonestatDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders (staging, intermediate, marts), read from the manifest."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "warehouse"


FINDINGS_MODEL = "dq_findings"  # built after the quality engine, from what it writes
RULE_FINDINGS = dg.AssetKey(["quality", RULE_FINDINGS_TABLE])  # the dbt source the engine writes


def build_dbt_assets(h: Home) -> list[dg.AssetsDefinition]:
    """The dbt project in two steps: every model but dq_findings, then dq_findings (which reads the
    quality engine's findings, written between the two) and the facts' flags."""
    project, manifest, translator = dbt_project(h), ensure_manifest(h), ZonestatDbtTranslator()

    @dbt_assets(manifest=manifest, project=project, dagster_dbt_translator=translator, pool=WAREHOUSE_POOL,
                exclude=FINDINGS_MODEL)
    def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, zonestat_home: ZonestatHome):
        """`dbt build` into the work database: models, seeds, and their tests as asset checks.

        The facts and their history are incremental by reporter-year; a code change rebuilds all.

        With nothing new no run is started (the schedule's tick, `zonestat refresh` and the sensor
        see to it). A run started anyway, from the UI, builds: skipping would leave every check
        without a result ("Skipped") instead of its latest real one.
        """
        h = zonestat_home.home()
        fingerprint = inputs_fingerprint(h)
        ensure_free_space(h, "The dbt build")
        with warehouse.work(h) as w:  # what the rules' models read of the catalogue
            write_catalogue(w)
        # Incremental by reporter-year unless the code changed (or there is no earlier build).
        full = needs_full_refresh(h, fingerprint)
        args = ["build", "--full-refresh"] if full else ["build"]
        try:
            yield from run_dbt(dbt, h, context, args)
        except DagsterDbtCliRuntimeError as exc:
            suspects = unpublished_submissions(h)
            raise dg.Failure(
                description="dbt build failed (a blocking test or a model); the last publication stays. "
                            + (f"{len(suspects)} submission(s) accepted since then, each with the command that "
                               "takes it out, are in this failure's metadata." if suspects else ""),
                metadata={"accepted_since_last_publication": dg.MetadataValue.md(
                    "\n".join(f"- `{line}`" for line in suspects[:50]) or "none"),
                          "dbt_error": dg.MetadataValue.text(str(exc)[:4000])}) from exc
        record_build(h, fingerprint, full)

    @dbt_assets(manifest=manifest, project=project, dagster_dbt_translator=translator, pool=WAREHOUSE_POOL,
                select=FINDINGS_MODEL)
    def findings_model(context: dg.AssetExecutionContext, dbt: DbtCliResource, zonestat_home: ZonestatHome):
        """dq_findings: the rules' findings and the door's, each reporter named, and the facts' flags.

        Its events are held until dbt is done, so that its materialization carries the findings per
        reporter, read from the work database, which dbt holds while it runs."""
        h = zonestat_home.home()
        events = list(run_dbt(dbt, h, context, ["build"]))
        for event in events:
            if isinstance(event, dg.Output) and context.asset_key_for_output(event.output_name) == dg.AssetKey(FINDINGS_MODEL):
                event = event.with_metadata({**event.metadata, **_findings_by_reporter(h)})
            yield event

    return [warehouse_models, findings_model]


@dg.asset(
    key=RULE_FINDINGS, deps=[dg.AssetKey(table) for table in QUALITY_READS],
    group_name="quality", pool=WAREHOUSE_POOL, kinds={"duckdb"},
)
def rule_findings(context: dg.AssetExecutionContext, zonestat_home: ZonestatHome) -> dg.MaterializeResult:
    """The rule catalogue (expectations/catalogue.yaml) run over the facts, with suggested corrections:
    over every report, or, when only reports changed since the last run, over theirs and those
    whose findings depend on them."""
    from expectations.engine import run_quality

    h = zonestat_home.home()
    summary = run_quality(h, rules_basis(h))
    metadata: dict[str, Any] = {
        "findings": summary.findings, "suggestions": summary.suggestions,
        # the reporters whose reports the rules ran over this time: all, or those that changed and
        # the reporters whose findings depend on theirs
        "reporters_checked": summary.reporters_checked, "reporters": summary.reporters,
        "reports_searched": summary.reports_searched,
        "seconds_detect": round(summary.seconds_detect, 3), "seconds_suggest": round(summary.seconds_suggest, 3),
    }
    metadata |= {f"severity_{k}": v for k, v in sorted(summary.by_severity.items())}
    metadata |= {f"kind_{k}": v for k, v in sorted(summary.by_kind.items())}
    return dg.MaterializeResult(metadata=metadata)


def _findings_by_reporter(h) -> dict[str, Any]:
    """Which boards' reports are wrong, period by period, and what is probably wrong: one row per
    reporter (by name) and period, newest first, and the latest period's counts, which Dagster
    plots from one refresh to the next."""
    with warehouse.work(h, read_only=True) as w:
        table = w.df(f"""
            with ranked as (
                select period_key, coalesce(reporter_name, reporter_id) as reporter, severity, suggestion,
                    row_number() over (partition by period_key, coalesce(reporter_name, reporter_id)
                                       order by suggestion is null, {reference.severity_rank_sql()}) as rank
                from dq_findings where period_key is not null
            )
            select period_key as period, reporter,
                count(*) filter (where severity = 'error') as errors,
                count(*) filter (where severity = 'warning') as warnings,
                count(*) filter (where severity = 'info') as info,
                coalesce(max(case when rank = 1 then suggestion end), '') as top_suggestion
            from ranked
            group by period_key, reporter order by period desc, errors desc, warnings desc, reporter limit 200""")
    if table.empty:
        return {"findings_by_reporter": dg.MetadataValue.md("No findings.")}
    latest = table[table["period"] == table["period"].iloc[0]]
    table["top_suggestion"] = table["top_suggestion"].str.slice(0, 160)
    return {
        "findings_by_reporter": dg.MetadataValue.md(table.to_markdown(index=False)),
        "latest_period": str(latest["period"].iloc[0]),
        "latest_period_reporters_with_errors": int((latest["errors"] > 0).sum()),
        "latest_period_errors": int(latest["errors"].sum()),
        "latest_period_warnings": int(latest["warnings"].sum()),
    }


def _fact_check_name(fact: str) -> str:
    return f"{fact}_reported_figures_consistent"


def _fact_check_result(w: warehouse.Warehouse, fact: str) -> dg.AssetCheckResult:
    counts = dict(w.rows(f"select coalesce(worst_finding_severity, 'none'), count(*) from {fact} group by 1"))
    worst = w.df(f"""
        select d.rule_id, d.reporter_id, d.period_key, d.source_cells, d.message, d.suggestion
        from dq_findings d where d.severity = 'error' and exists (
            select 1 from {fact} f where f.submission_id = d.submission_id
            and f.worst_finding_severity = 'error')
        order by d.reporter_id, d.period_key limit 10""")
    errors = counts.get("error", 0)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(fact), check_name=_fact_check_name(fact),
        passed=errors == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_flagged_error": errors, "rows_flagged_warning": counts.get("warning", 0),
                  "rows_flagged_info": counts.get("info", 0), "rows_clean": counts.get("none", 0),
                  "worst_findings": dg.MetadataValue.md(worst.to_markdown(index=False) if len(worst) else "none")},
    )


# One step for the facts' checks, each with its own result (a step each cost its start, its end and a
# connection to the warehouse); one of them may still be run alone from the UI (can_subset).
@dg.multi_asset_check(
    name="facts_reported_figures_consistent", can_subset=True, pool=WAREHOUSE_POOL,
    specs=[dg.AssetCheckSpec(name=_fact_check_name(fact), asset=dg.AssetKey(fact),
                             additional_deps=[dg.AssetKey(FINDINGS_MODEL)],
                             description=f"Findings of the rule catalogue touching {fact}. Never blocks publishing: "
                                         "boards' errors are flagged beside the figures.")
           for fact in FACTS],
)
def fact_checks(context: dg.AssetCheckExecutionContext, zonestat_home: ZonestatHome) -> Iterator[dg.AssetCheckResult]:
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    with warehouse.work(zonestat_home.home(), read_only=True) as w:
        for fact in FACTS:
            if dg.AssetKey(fact) in selected:
                yield _fact_check_result(w, fact)


FACT_CHECKS = [fact_checks]


@dg.asset(deps=[dg.AssetKey(FINDINGS_MODEL)], group_name="publish", pool=WAREHOUSE_POOL, kinds={"duckdb"})
def published_warehouse(context: dg.AssetExecutionContext, zonestat_home: ZonestatHome) -> dg.MaterializeResult:
    """Write-audit-publish: the audited work database swapped in as the analysts' warehouse.duckdb."""
    from orchestration.publish import publish

    h = zonestat_home.home()
    if unchanged_since_publication(h, inputs_fingerprint(h)):  # a run started from the UI with nothing new
        return dg.MaterializeResult(metadata={
            "path": str(h.published_db),
            "changes": dg.MetadataValue.md("- nothing new since the last publication: it stands, not replaced")})
    publication = publish(h)  # raises PublishBlocked: the run fails and says why; the last publication stays
    record_publication(h)
    pruned = prune(h, context.instance)
    summary = "\n".join(f"- {c}" for c in publication.changes) or "- no change since the last publication"
    return dg.MaterializeResult(metadata={
        "path": str(publication.path), "snapshot": str(publication.snapshot), "written": publication.written,
        "tables": len(publication.row_counts),
        **{f"rows_{t}": n for t, n in publication.row_counts.items() if t.startswith(("fct_", "dq_", "agg_"))},
        "changes": dg.MetadataValue.md(summary), **pruned,
    })


@dg.asset(deps=[published_warehouse], group_name="publish", kinds={"excel"})
def feedback_reports(context: dg.AssetExecutionContext, zonestat_home: ZonestatHome) -> dg.MaterializeResult:
    """A workbook per submission with findings, in Vietnamese, in ZONESTAT_HOME/reports/ for the boards."""
    from expectations.feedback import write_reports

    h = zonestat_home.home()
    counts = write_reports(h)
    return dg.MaterializeResult(metadata={**counts, "folder": str(h.reports)})
