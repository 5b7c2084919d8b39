"""Submission checks at the door: Great Expectations 1.x suites on parsed submissions.

Two suites, one on the submissions' metadata (one row per file) and one on their figures
(one row per figure). New submissions are validated together as one batch per suite, not
one GX run per file, and each failing row is mapped back to its file, sheet and cell.
Severity `error` rejects the file; `warning` lets it in with the finding.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from expectations import data_docs_offline
from ingest.figure_table import figures_frame
from ingest.findings import ERROR, WARNING, Finding
from ingest.messages import Message, msg
from ingest.parse import Submission, cell_ref
from zonestat import reference

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class DoorCheck:
    rule: str
    severity: str
    suite: str  # "figures" | "submissions"
    expectation: str  # a GX expectation class name
    kwargs: dict
    column: str  # which column's cell the finding points at (a SoLieu column or a metadata key)
    message: Callable[[pd.Series], Message]  # from the door's message catalogue (ingest/messages.yaml)
    expected: str
    found: Callable[[pd.Series], str]


def _catalogue_sets() -> dict[str, list[str]]:
    inds = reference.indicators()
    return {
        "indicators": sorted(inds),
        "indicator_breakdowns": sorted(f"{i.code}|{b}" for i in inds.values() for b in i.breakdowns),
        "indicator_unit_families": sorted(f"{i.code}|{i.unit_family}" for i in inds.values()),
    }


def door_checks() -> list[DoorCheck]:
    """The catalogue of door checks: each rule written once, with its severity and message."""
    sets = _catalogue_sets()
    return [
        DoorCheck("submission.reporter_valid", ERROR, "submissions", "ExpectColumnValuesToBeNull",
                  {"column": "reporter_problem"}, "reporter_cell",
                  lambda r: r.reporter_problem, "a province valid for the period, or a known bloc",
                  lambda r: str(r.reporter_problem)),
        DoorCheck("submission.period_valid", ERROR, "submissions", "ExpectColumnValuesToBeNull",
                  {"column": "period_problem"}, "period_cell",
                  lambda r: r.period_problem, "ky_bao_cao as YYYY or YYYY-MM", lambda r: r.period_text),
        DoorCheck("submission.period_not_future", ERROR, "submissions", "ExpectColumnValuesToBeBetween",
                  {"column": "period_start", "max_value": "$today"}, "period_cell",
                  lambda r: msg("submission.period_not_future", period=r.period), "a period that has begun",
                  lambda r: r.period),
        DoorCheck("submission.status_valid", ERROR, "submissions", "ExpectColumnValuesToBeNull",
                  {"column": "status_problem"}, "status_cell",
                  lambda r: r.status_problem, ", ".join(reference.report_statuses()), lambda r: r.status_text),
        DoorCheck("submission.has_figures", ERROR, "submissions", "ExpectColumnValuesToBeBetween",
                  {"column": "n_figures", "min_value": 1}, "",
                  lambda r: msg("submission.has_figures"), "at least one figure", lambda r: "0"),
        DoorCheck("figure.value_readable", ERROR, "figures", "ExpectColumnValuesToBeNull",
                  {"column": "value_problem"}, "gia_tri",
                  lambda r: msg("figure.in_column", column="gia_tri", problem=r.value_problem), "a number",
                  lambda r: str(r.text_as_typed)),
        DoorCheck("figure.value_present", ERROR, "figures", "ExpectColumnValuesToNotBeNull",
                  {"column": "value_as_typed", "row_condition": "value_readable == True"}, "gia_tri",
                  lambda r: msg("figure.value_present", indicator=r.indicator), "a number", lambda r: ""),
        DoorCheck("figure.unit_known", ERROR, "figures", "ExpectColumnValuesToBeNull",
                  {"column": "unit_problem"}, "don_vi",
                  lambda r: msg("figure.of_indicator", indicator=r.indicator, problem=r.unit_problem),
                  "a unit from submission-format.md", lambda r: r.unit_as_typed),
        DoorCheck("figure.indicator_known", ERROR, "figures", "ExpectColumnValuesToBeInSet",
                  {"column": "indicator", "value_set": sets["indicators"]}, "ma_chi_tieu",
                  lambda r: msg("figure.indicator_known", indicator=r.indicator) if r.indicator
                  else msg("figure.indicator_missing"),
                  "an indicator code from indicators.csv", lambda r: r.indicator),
        DoorCheck("figure.breakdown_allowed", ERROR, "figures", "ExpectColumnValuesToBeInSet",
                  {"column": "indicator_breakdown", "value_set": sets["indicator_breakdowns"],
                   "row_condition": "indicator_known == True"}, "phan_to",
                  lambda r: msg("figure.breakdown_allowed", indicator=r.indicator, breakdown=r.breakdown),
                  "a breakdown listed for the indicator", lambda r: r.breakdown),
        DoorCheck("figure.unit_fits_indicator", ERROR, "figures", "ExpectColumnValuesToBeInSet",
                  {"column": "indicator_unit_family", "value_set": sets["indicator_unit_families"],
                   "row_condition": "indicator_known == True and unit_readable == True"}, "don_vi",
                  lambda r: msg("figure.unit_fits_indicator", indicator=r.indicator, unit=r.unit_as_typed,
                                family=r.unit_family),
                  "a unit of the indicator's family (indicators.csv)", lambda r: r.unit_as_typed),
        DoorCheck("figure.non_negative", ERROR, "figures", "ExpectColumnValuesToBeBetween",
                  {"column": "value", "min_value": 0,
                   "row_condition": f"indicator not in {list(reference.net_indicators())}"},
                  "gia_tri", lambda r: msg("figure.non_negative", indicator=r.indicator,
                                           net=", ".join(reference.net_indicators())),
                  ">= 0", lambda r: str(r.text_as_typed)),
        DoorCheck("figure.percent_range", ERROR, "figures", "ExpectColumnValuesToBeBetween",
                  {"column": "value", "min_value": 0, "max_value": 100, "row_condition": 'unit == "percent"'},
                  "gia_tri", lambda r: msg("figure.percent_range", indicator=r.indicator), "0..100",
                  lambda r: str(r.text_as_typed)),
        DoorCheck("figure.unique", ERROR, "figures", "ExpectCompoundColumnsToBeUnique",
                  {"column_list": ["submission_id", "indicator", "zone_key", "breakdown"]}, "ma_chi_tieu",
                  lambda r: msg("figure.unique", indicator=r.indicator, breakdown=r.breakdown, zone=r.zone_name),
                  "one row per indicator, zone and breakdown",
                  lambda r: " ".join(x for x in (r.indicator, r.zone_name, r.breakdown) if x)),
        DoorCheck("figure.count_whole", WARNING, "figures", "ExpectColumnValuesToBeInSet",
                  {"column": "fractional_count", "value_set": [False]}, "gia_tri",
                  lambda r: msg("figure.fractional_count", indicator=r.indicator, typed=r.text_as_typed),
                  "a whole number", lambda r: str(r.text_as_typed)),
        DoorCheck("figure.growth_readable", WARNING, "figures", "ExpectColumnValuesToBeNull",
                  {"column": "growth_problem"}, "tang_truong",
                  lambda r: msg("figure.claim_ignored", column="tang_truong", indicator=r.indicator,
                                problem=r.growth_problem),
                  "a number in %", lambda r: str(r.growth_problem)),
        DoorCheck("figure.share_readable", WARNING, "figures", "ExpectColumnValuesToBeNull",
                  {"column": "share_problem"}, "ty_trong",
                  lambda r: msg("figure.claim_ignored", column="ty_trong", indicator=r.indicator,
                                problem=r.share_problem),
                  "a number in %", lambda r: str(r.share_problem)),
        # Where no percent format says so, a rate typed as 0,185 is probably 18,5% typed as a fraction.
        *(DoorCheck(f"figure.{column}_maybe_fraction", WARNING, "figures", "ExpectColumnValuesToBeInSet",
                    {"column": flag, "value_set": [False]}, column,
                    lambda r, column=column, typed=typed: msg("figure.maybe_fraction", column=column,
                                                              indicator=r.indicator, typed=getattr(r, typed)),
                    "a percentage (18,5 for 18,5%)", lambda r, typed=typed: str(getattr(r, typed)))
          for column, flag, typed in (("gia_tri", "value_maybe_fraction", "text_as_typed"),
                                      ("tang_truong", "growth_maybe_fraction", "growth_as_typed"),
                                      ("ty_trong", "share_maybe_fraction", "share_as_typed"))),
    ]


def _frames(subs: list[Submission]) -> tuple[pd.DataFrame, pd.DataFrame]:
    readable = [s for s in subs if s.metadata]
    meta = pd.DataFrame.from_records([
        s.metadata.as_row() | {"submission_id": s.submission_id, "n_figures": len(s.figure_table)}
        for s in readable
    ])
    if not meta.empty:
        meta["period_start"] = pd.to_datetime(meta["period_start"])
    tables = [s.figure_table for s in readable if len(s.figure_table)]
    figures = figures_frame(tables) if tables else pd.DataFrame()
    if not figures.empty:
        known = set(reference.indicators())
        figures["indicator_known"] = figures["indicator"].isin(known)
        figures["value_readable"] = figures["value_problem"].isna()
        figures["unit_readable"] = figures["unit_problem"].isna()
        figures["indicator_breakdown"] = figures["indicator"] + "|" + figures["breakdown"]
        figures["indicator_unit_family"] = figures["indicator"] + "|" + figures["unit_family"].fillna("")
    return meta, figures


def _read_by(checks: list[DoorCheck]) -> set[str]:
    """The columns the checks' expectations read (their columns and the names in their row conditions)."""
    columns = set()
    for check in checks:
        columns |= {check.kwargs.get("column"), *check.kwargs.get("column_list", ()),
                    *re.findall(r"[A-Za-z_]\w*", check.kwargs.get("row_condition", ""))}
    return columns - {None, "and", "or", "not", "True", "False"}


def _as_shown(frame: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """The frame GX sees: only the columns its expectations read (GX filters and copies every column
    of the frame for each row condition, the largest cost of the door), and problems as their English
    text (GX stores and renders the values it finds). Row labels stay those of `frame`."""
    shown = frame[[c for c in frame.columns if c in columns]].copy(deep=False)
    for column in [c for c in shown.columns if c.endswith("_problem")]:
        found = shown[column].notna()
        text = pd.Series(None, index=shown.index, dtype=object)
        text[found] = [str(m) for m in shown.loc[found, column]]
        shown[column] = text
    return shown


def _compile_page_templates_once() -> None:
    """GX renders every Data Docs page through a new jinja Environment, which compiles the page
    templates again: most of the time the door spent on Data Docs went there. A bytecode cache,
    jinja's own mechanism, shared by those environments compiles each template once per process."""
    import jinja2
    from great_expectations.render.view.view import DefaultJinjaView

    if getattr(DefaultJinjaView, "_zonestat_code_cache", None) is not None:
        return

    class CompiledTemplates(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, object] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            bucket.code = self.code.get(bucket.key + bucket.checksum)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.code[bucket.key + bucket.checksum] = bucket.code

    DefaultJinjaView._zonestat_code_cache = cache = CompiledTemplates()
    build_environment = DefaultJinjaView.__init__

    def with_cache(self, *args, **kwargs) -> None:
        build_environment(self, *args, **kwargs)
        self.env.bytecode_cache = cache

    DefaultJinjaView.__init__ = with_cache


def _run_name(files: list[str]) -> str:
    """How a batch's pages are named in Data Docs: by the files it checked (the first and the last
    in name order when there are many; a run name is also a folder name)."""
    names = sorted(files)
    if len(names) <= 3:
        return ", ".join(names)[:200]
    return f"{names[0][:90]} … {names[-1][:90]} ({len(names)} files)"


class DoorValidator:
    """Builds the GX suites once and validates batches of submissions against them."""

    def __init__(self, data_docs_dir: Path | None = None):
        import great_expectations as gx

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
        self.checks = door_checks()
        source = self.context.data_sources.add_pandas("submissions")
        self.batches = {}
        self.suites = {}
        for suite_name in ("submissions", "figures"):
            asset = source.add_dataframe_asset(suite_name)
            self.batches[suite_name] = asset.add_batch_definition_whole_dataframe(f"{suite_name}_batch")
            suite = gx.ExpectationSuite(name=f"zonestat_{suite_name}")
            for check in self.checks:
                if check.suite != suite_name:
                    continue
                kwargs = dict(check.kwargs)
                if "row_condition" in kwargs:
                    kwargs["condition_parser"] = "pandas"
                if kwargs.get("max_value") == "$today":
                    kwargs["max_value"] = {"$PARAMETER": "today"}
                suite.add_expectation(getattr(gx.expectations, check.expectation)(
                    **kwargs, meta={"rule": check.rule, "severity": check.severity}))
            self.suites[suite_name] = self.context.suites.add(suite)
        self.checkpoints = {}
        self.data_docs_dir = data_docs_dir
        if data_docs_dir is not None:
            self._add_data_docs(data_docs_dir)

    def _add_data_docs(self, folder: Path) -> None:
        """Checkpoints whose action renders each batch's results into a Data Docs site on disk."""
        from great_expectations.checkpoint import UpdateDataDocsAction

        _compile_page_templates_once()
        data_docs_offline.install(folder)

        gx = self._gx
        self.context.add_data_docs_site(site_name="zonestat", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        for suite_name, batch in self.batches.items():
            definition = self.context.validation_definitions.add(
                gx.ValidationDefinition(data=batch, suite=self.suites[suite_name], name=f"door_{suite_name}"))
            self.checkpoints[suite_name] = self.context.checkpoints.add(gx.Checkpoint(
                name=f"door_{suite_name}", validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="data_docs", site_names=["zonestat"])],
                result_format={"result_format": "COMPLETE"}))

    def _run(self, suite_name: str, frame: pd.DataFrame, today: date, files: list[str]):
        parameters = {"today": pd.Timestamp(today)}
        if suite_name in self.checkpoints:
            from great_expectations.core.run_identifier import RunIdentifier

            run = self.checkpoints[suite_name].run(batch_parameters={"dataframe": frame},
                                                   expectation_parameters=parameters,
                                                   run_id=RunIdentifier(run_name=_run_name(files)))
            return next(iter(run.run_results.values()))
        return self.batches[suite_name].get_batch(batch_parameters={"dataframe": frame}).validate(
            self.suites[suite_name], expectation_parameters=parameters, result_format={"result_format": "COMPLETE"})

    def unexpected(self, frames: dict[str, pd.DataFrame], today: date, files: list[str]) -> list[tuple[str, object]]:
        """The rows of a batch that fail a check, as (rule, row label in its suite's frame): the
        frames as GX sees them (_as_shown), by suite; `files` name the batch in Data Docs."""
        started = time.time_ns()
        failing = []
        for suite_name, frame in frames.items():
            result = self._run(suite_name, frame, today, files)
            for outcome in result.results:
                if not outcome.success:
                    rule = outcome.expectation_config.meta["rule"]
                    failing += [(rule, index) for index in outcome.result.get("unexpected_index_list") or []]
        if self.checkpoints:
            data_docs_offline.localise_pages_since(self.data_docs_dir, started)
        return failing

    def validate(self, subs: list[Submission], today: date | None = None) -> None:
        """Append the door findings to each submission in the batch."""
        add_door_findings(subs, self.unexpected, today)


Unexpected = Callable[[dict[str, pd.DataFrame], date, list[str]], list[tuple[str, object]]]


def add_door_findings(subs: list[Submission], unexpected: Unexpected, today: date | None = None) -> None:
    """Append to each submission of a batch the findings of the door's checks, whose failing rows
    `unexpected` lists (DoorValidator.unexpected, in this process or in the door's process)."""
    today = today or date.today()
    checks = door_checks()
    by_rule = {c.rule: c for c in checks}
    frames = dict(zip(("submissions", "figures"), _frames(subs)))
    shown = {suite: _as_shown(frame, _read_by([c for c in checks if c.suite == suite]))
             for suite, frame in frames.items() if not frame.empty}
    if not shown:
        return
    by_id = {s.submission_id: s for s in subs}
    for rule, index in unexpected(shown, today, [s.file_name for s in subs]):
        check = by_rule[rule]
        row = frames[check.suite].loc[index if not isinstance(index, dict) else index.get("index", index)]
        sub = by_id[row.submission_id]
        sub.findings.append(_finding(check, row, sub))


def check_without_gx(subs: list[Submission], today: date | None = None) -> None:
    """The door's checks on a few files without GX, for `zonestat validate`: importing GX takes
    far longer than reading a file. The same checks (door_checks), each
    expectation evaluated by `unexpected_rows` as GX evaluates it (a test holds the two to the same
    findings); the refresh keeps GX, its suites and Data Docs."""
    checks = door_checks()

    def unexpected(frames: dict[str, pd.DataFrame], today: date, _files: list[str]) -> list[tuple[str, object]]:
        return [(check.rule, index) for check in checks if check.suite in frames
                for index in unexpected_rows(check, frames[check.suite], today)]

    add_door_findings(subs, unexpected, today)


def unexpected_rows(check: DoorCheck, frame: pd.DataFrame, today: date) -> list:
    """The row labels GX lists as unexpected for the check's expectation (the five kinds the door
    uses): missing values are not judged, except by the null expectations themselves."""
    kwargs = check.kwargs
    if "row_condition" in kwargs:
        frame = frame.query(kwargs["row_condition"], engine="python")
    if check.expectation == "ExpectCompoundColumnsToBeUnique":
        keys = frame[kwargs["column_list"]]
        judged = keys[~keys.isna().all(axis=1)]
        return judged.index[judged.duplicated(keep=False)].tolist()
    values = frame[kwargs["column"]]
    if check.expectation == "ExpectColumnValuesToBeNull":
        return values.index[values.notna()].tolist()
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return values.index[values.isna()].tolist()
    values = values.dropna()
    if check.expectation == "ExpectColumnValuesToBeInSet":
        return values.index[~values.isin(kwargs["value_set"])].tolist()
    if check.expectation == "ExpectColumnValuesToBeBetween":
        low = kwargs.get("min_value")
        high = pd.Timestamp(today) if kwargs.get("max_value") == "$today" else kwargs.get("max_value")
        outside = pd.Series(False, index=values.index)
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        return values.index[outside].tolist()
    raise ValueError(f"{check.rule}: no evaluator for {check.expectation} outside GX")


def _finding(check: DoorCheck, row: pd.Series, sub: Submission) -> Finding:
    if check.suite == "figures":
        column_ref = sub.metadata.column_refs.get(check.column, "")
        cell = cell_ref(sub.file_kind, column_ref, int(row.source_row)) if column_ref or sub.file_kind == "csv" \
            else f"row {int(row.source_row)}"
        sheet = row.source_sheet
    else:
        cell = getattr(sub.metadata, check.column) if check.column else ""
        sheet = sub.metadata.info_sheet
    return Finding(rule=check.rule, severity=check.severity, text=check.message(row),
                   sheet=sheet, cell=cell, expected=check.expected, found=str(check.found(row)))

