"""The quality engine's detection: the rule catalogue as dbt models over the facts.

Detection is set-based SQL in the warehouse, so the whole catalogue costs a few scans of the fact
tables. Every rule is detected by a dbt model (RULE_MODELS, dbt_project/models/quality): those about
reports are brought up to date by reporter-year in the refresh's dbt build, with the reports that
depend on a changed one; the blocs' totals and the reference data's gaps are tables built again
each time. The engine reads the built models (detect's `built`), or renders them without dbt over
a file's figures for `zonestat validate` (render_model). The SQL is what DuckDB and PostgreSQL both
run (engine differences through dbt_project/macros/portable.sql's dispatch macros). For every report
with a broken rule, suggest.py then searches the smallest set of cells whose correction satisfies all
of its rules (engine.py). Findings about what boards reported are flags, never blockers: the dbt
model dq_findings publishes them, and each fact row gets the worst severity touching it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import pandas as pd

from expectations.catalogue import CATALOGUE_TABLES, RULE_MODELS, Rule, catalogue_rows, load
from expectations.relations import OUTSIDE_DBT, outside_dbt
from zonestat import reference, target
from zonestat.config import DBT_PROJECT_DIR
from zonestat.notation import en_format, vn_format
from zonestat.warehouse import Warehouse, as_warehouse

FACT_TABLES = reference.fact_tables()
# A rule's finding as the engine writes it for dbt's dq_findings (engine.RULE_FINDINGS_TABLE): each
# column and its SQL type, in order.
FINDING_COLUMN_TYPES = {
    **dict.fromkeys(("finding_id", "rule_id", "kind", "severity", "reporter_id", "period_key", "zone_key",
                     "submission_id"), "varchar"),
    "revision_number": "bigint",
    **dict.fromkeys(("indicators", "breakdowns"), "varchar"),
    **dict.fromkeys(("expected", "found", "imbalance", "tolerance"), "double precision"),
    **dict.fromkeys(("message", "message_vi", "source_cells", "cell_keys", "suggestion", "suggestion_vi",
                     "suggested_cells", "suggested_values"), "varchar"),
}
FINDING_COLUMNS = list(FINDING_COLUMN_TYPES)

# Between the facts' figure_keys in a finding's cell_keys (dbt_project.yml: dq_findings splits them).
CELL_KEY_SEPARATOR = reference.cell_key_separator()
CELLS_VIEW = "dq_cells"
# Every current figure, also those outside the rules' scope: what a rule looks up about other
# reports of the same period (a bloc's members, the peers a correction is held against).
ALL_CELLS_VIEW = "dq_all_cells"
# How a finding names a cell: Sheet!C12 in a workbook, C12 in a CSV (no sheet).
CELL_REF = "case when source_sheet = '' then source_cell else source_sheet || '!' || source_cell end"
# The reports whose findings depend on one another (reporters.sql's reporter_group), over the facts' columns.
REPORTER_GROUP = str(outside_dbt().reporter_group("province_2025_code", "reporter_id"))


def create_cells_view(con: Warehouse | object, reporters: str | None = None) -> None:
    """The figures the engine looks up beside the rules' models: one view of the current figures of
    every fact table (ALL_CELLS_VIEW), and CELLS_VIEW, those of the reports a run checks: all of
    them, or, given `reporters` (a table of reporter_id), theirs. The broken relations' cells are
    named from it (resolve_cells), and the suggestion search reads the flagged reports' figures."""
    columns = f"""figure_key, reporter_id, reporter_kind, reporter_code, province_2025_code, zone_key, period_key,
        period_year, period_month, indicator_code, indicator_kind, breakdown, value, unit, value_vnd_bn,
        rounding_tolerance, growth_pct_claimed, growth_tolerance, share_pct_claimed, share_tolerance,
        submission_id, revision_number, text_as_typed,
        {CELL_REF} as cell_ref,
        coalesce(value_vnd_bn / nullif(value, 0), 1.0) as vnd_factor, reporter_vintage,
        figure_hash, report_key, series_key, series_2025_key,
        source_sheet, source_cell"""
    union = "\nunion all\n".join(f"select {columns} from {t}" for t in FACT_TABLES)
    # A view, not a temporary table: each query reads only the columns it needs straight from the
    # compressed fact tables. The models join on the integer keys the facts carry (figure_hash,
    # report_key, series keys) and name no cell by its strings: those are looked up once, at the
    # end, for the broken relations only (resolve_cells).
    w = as_warehouse(con)
    w.execute(f"drop view if exists {CELLS_VIEW}")  # it depends on the other
    w.temp_view(ALL_CELLS_VIEW, union)
    cells = f"select * from {ALL_CELLS_VIEW}" + (
        "" if reporters is None else f" where reporter_id in (select reporter_id from {reporters})")
    if reporters is not None and w.engine != target.DUCKDB:
        # PostgreSQL reads every column of a row it scans: the scope's figures are read once into a
        # table of their own, which the cells' lookup and the suggestion search's queries then scan
        # instead of every fact table.
        w.temp_table("dq_scope_cells", cells)
        cells = "select * from dq_scope_cells"
    w.temp_view(CELLS_VIEW, cells)


# Every rule model has one row per broken relation with
#   cells:   the figure_hash of the cells the relation is about (cell_keys, and the cells a
#            suggestion may change), in the order the finding lists them;
#   named:   how many of the leading cells name the finding's indicators and breakdowns;
#   context: further cells shown in source_cells only (last year's figure, a denominator);
# and the numbers: expected, found, imbalance, tolerance, rate_missing (and a kind's extras).


# A rule model's columns that a finding does not take: of the version a relation was checked in, and its keys.
MODEL_KEYS = ("period_year", "n_revisions", "relation_id", "report_key")
MODELS_DIR = DBT_PROJECT_DIR / "models" / "quality"


def _write_catalogue(w: Warehouse, rules, named=lambda table: table, temporary: bool = False) -> None:
    for table, types in CATALOGUE_TABLES.items():
        w.execute(f"drop table if exists {named(table)}")
        columns = ", ".join(f"{column} {kind}" for column, kind in types.items())
        w.execute(f"create {'temporary ' if temporary else ''}table {named(table)} ({columns})")
        w.insert_frame(named(table), catalogue_rows(table, rules))


def write_catalogue(con: Warehouse | object) -> None:
    """The catalogue's rules and relation terms (CATALOGUE_TABLES), written where dbt's build reads
    them: before each build, which rebuilds every rule model when the catalogue changed
    (orchestration/fingerprint.py)."""
    w = as_warehouse(con)
    with w.transaction():
        if w.engine != target.DUCKDB:  # before the first build, dbt has not made its schema yet
            w.execute(f"create schema if not exists {w.schema}")
        _write_catalogue(w, load())
        for table in CATALOGUE_TABLES if w.engine != target.DUCKDB else ():
            w.execute(f"analyze {table}")  # as every table the build reads (dbt_project/macros/portable.sql)


@lru_cache(maxsize=None)
def render_model(name: str, sources_prefix: str = "") -> str:
    """A rule model's SQL as dbt would compile it for a build from empty, without dbt: for
    `zonestat validate` and the engine's other runs outside the refresh. dbt's names are
    relations.OUTSIDE_DBT, each of the catalogue's tables is that name after `sources_prefix`, and
    the project's macros are there as in dbt (relations.outside_dbt)."""
    import jinja2

    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (MODELS_DIR / f"{name}.sql").read_text(encoding="utf-8"))
    return template.render(**OUTSIDE_DBT, **vars(outside_dbt()),
                           source=lambda _source, table: sources_prefix + table)


# Before the names of the catalogue's tables of the rules a detection outside the refresh is given
# (render_model).
GIVEN_CATALOGUE_PREFIX = "dq_given_"


def _model_sql(w: Warehouse, model: str, rules: list[Rule], reporters: str | None, built: bool) -> str:
    """The relations of `rules` that do not hold, from the rule model `model`: built in the warehouse
    (`built`), of the reporters in the table `reporters` when given; or rendered over the fact
    tables of `w` and the catalogue's tables of the rules given (GIVEN_CATALOGUE_PREFIX, written by detect)."""
    rows = f"select * from {model}" if built else render_model(model, GIVEN_CATALOGUE_PREFIX)
    columns = [c for c in w.columns(rows) if c not in MODEL_KEYS]
    # what the reference data lacks is about no report: found again by every run (engine.py)
    scoped = reporters and any(rule.kind != "reference" for rule in rules)
    source = f"select * from ({rows}) as found" + (f" where reporter_id in (select reporter_id from {reporters})"
                                                   if scoped else "")
    for column, missing in (("cells", "null::bigint[]"), ("context", "null::bigint[]"),
                            ("named", "null::integer")):  # named: every cell names the finding's indicators
        if column not in columns:
            columns.append(f"{missing} as {column}")
    ids = ", ".join(f"'{rule.id}'" for rule in rules)
    return f"""
    select {", ".join(columns)}
    from ({source}) as broken
    where rule_id in ({ids})"""


def claims_with_last_year_sql(submissions: str | None = None) -> str:
    """Every growth claim among CELLS_VIEW's figures (of the submissions in the table `submissions`
    when given) with last year's figure (last_value, last_tol, last_cells), as the growth rule's model
    tells it (macros/rules.sql's claims_with_last_year): what the suggestion search holds a
    correction to, so that it does not break a claim that holds."""
    only = f" where submission_id in (select submission_id from {submissions})" if submissions else ""
    return str(outside_dbt().claims_with_last_year(f"select * from {CELLS_VIEW}{only}", f"select * from {CELLS_VIEW}"))


def usual_level_sql(rule: Rule, cells: str) -> str:
    """figure_key -> the median of the other figures of its series (same month in other years for
    flows), for the cells whose figure_key is in the table `cells`: the level a correction of the
    cell must stay near.
    Series as the magnitude rule takes them (rules.sql's figures_by_season), with as much history as
    it needs, without the cell's own report."""
    minimum = int(rule.spec.get("min_history", 2))
    return f"""
    with keyed as (
        select figure_key, submission_id, series_2025_key, value, season
        from ({outside_dbt().figures_by_season(CELLS_VIEW)}) as by_season
    ),
    mine as (select * from keyed join {cells} using (figure_key))
    select m.figure_key, percentile_cont(0.5) within group (order by o.value) as usual
    from mine m join keyed o
        on o.series_2025_key = m.series_2025_key and o.season = m.season and o.submission_id <> m.submission_id
    group by m.figure_key
    having count(*) >= {minimum}
    """


def peer_range_sql(cells: str, minimum_peers: int = 3) -> str:
    """figure_key -> the smallest and largest figure its peers printed (the other reporters of its
    kind, for the same period, indicator, breakdown and unit, as a whole reporter), for the cells
    whose figure_key is in the table `cells`: a correction must not leave a figure far outside
    what its peers report."""
    # The few cells asked about are found first (materialized): PostgreSQL cannot tell that peers
    # share all five keys, estimates the figures' join with their peers at one row, and would
    # otherwise join every figure with its peers before keeping the cells asked about.
    from_whole_reporters = f"from {ALL_CELLS_VIEW} where zone_key = '' and value > 0 and indicator_kind <> 'ratio'"
    return f"""
    with mine as materialized (
        select figure_key, reporter_id, reporter_kind, period_key, indicator_code, breakdown, unit
        {from_whole_reporters} and figure_key in (select figure_key from {cells})
    ),
    whole as (select reporter_id, reporter_kind, period_key, indicator_code, breakdown, unit, value
              {from_whole_reporters})
    select m.figure_key, min(o.value) as low, max(o.value) as high
    from mine m join whole o
        on o.reporter_kind = m.reporter_kind and o.period_key = m.period_key and o.indicator_code = m.indicator_code
        and o.breakdown = m.breakdown and o.unit = m.unit and o.reporter_id <> m.reporter_id
    group by m.figure_key
    having count(distinct o.reporter_id) >= {minimum_peers}
    """


RESOLVED = ["reporter_id", "zone_key", "period_key", "submission_id", "revision_number", "indicators", "breakdowns",
            "source_cells", "cell_keys"]


def resolve_cells(w: Warehouse, parts: list[str]) -> pd.DataFrame:
    """Every rule's broken relations with the strings of their cells, looked up in one pass over
    the facts for all rules.

    `parts` are temporary tables of rule results (with a finding_no). Each row gets the report
    (reporter, zone, period, submission, version of its first cell) unless the rule gave its
    own, the indicators and breakdowns the finding names, cell_keys and source_cells (a cell of
    another period is shown with its period).
    """
    listed = "\nunion all\n".join(
        f"""select part, finding_no, figure_hash, ord, ord <= coalesce(named, n) as is_named, false as is_context
            from (select {i} as part, finding_no, named, cardinality(cells) as n, unnest(cells) as figure_hash,
                         generate_subscripts(cells, 1) as ord
                  from {table} where cells is not null) as listed_cells
            union all
            select part, finding_no, figure_hash, ord + 100000, false, true
            from (select {i} as part, finding_no, unnest(context) as figure_hash, generate_subscripts(context, 1) as ord
                  from {table} where context is not null) as listed_context"""
        for i, table in enumerate(parts))

    def first(column: str) -> str:  # of the first cell, which is always among the facts it came from
        return f"max({column}) filter (where ord = 1) as {column}"
    w.temp_table("dq_resolved", f"""
        with refs as ({listed}),
        cells as (
            -- the cell's reference is put together after the join, for the matched cells only
            select r.*, c.figure_key, c.period_key, c.reporter_id, c.zone_key, c.submission_id,
                {CELL_REF} as cell_ref,
                c.revision_number, c.indicator_code, c.breakdown,
                first_value(c.period_key) over (partition by r.part, r.finding_no order by r.ord) as first_period
            from refs r join {CELLS_VIEW} c using (figure_hash)  -- every rule's cells are among them
        )
        select part, finding_no,
            {", ".join(first(c) for c in ("reporter_id", "zone_key", "period_key", "submission_id", "revision_number"))},
            string_agg(indicator_code, ',' order by ord) filter (where is_named) as indicators,
            string_agg(breakdown, ',' order by ord) filter (where is_named) as breakdowns,
            string_agg(case when period_key = first_period then cell_ref else period_key || ' ' || cell_ref end,
                       ', ' order by ord) as source_cells,
            string_agg(figure_key, '{CELL_KEY_SEPARATOR}' order by ord) filter (where not is_context) as cell_keys
        from cells group by part, finding_no""")
    # Each part with its own columns; the frames are put side by side by name. A value the rule
    # gave itself (a bloc's period, a year without a rate) wins over its first cell's.
    frames = []
    for i, table in enumerate(parts):
        own = [c for c in w.columns(f"select * from {table}") if c not in ("finding_no", "cells", "named", "context")]
        names = [f"t.{c}" for c in own if c not in RESOLVED] + \
            [f"coalesce(t.{c}, r.{c}) as {c}" if c in own else f"r.{c}" for c in RESOLVED]
        frames.append(w.df(f"""select {", ".join(names)}
            from {table} t left join dq_resolved r on r.part = {i} and r.finding_no = t.finding_no"""))
    w.execute("drop table dq_resolved")
    found = [f for f in frames if len(f)]
    return pd.concat(found, ignore_index=True) if found else frames[0]


def detect(con: Warehouse | object, rules: list[Rule] | None = None, reporters: str | None = None,
           built: bool = False) -> tuple[pd.DataFrame, dict[str, float]]:
    """Every broken relation in the warehouse, one row each (before messages and suggestions),
    and the seconds each rule model took (by its name; `cells`: looking up the broken relations'
    cells).
    `con`: the warehouse (a Warehouse, or a DuckDB connection); `rules`: the catalogue's rules to
    run (all of them by default); `reporters`: a table of the reporters whose reports they run over
    (create_cells_view; all by default); `built`: the rule models (RULE_MODELS) are built in it
    by the refresh's dbt build, and read as they are; otherwise they run over its fact tables."""
    import time

    w = as_warehouse(con)
    create_cells_view(w, reporters)
    rules = load() if rules is None else rules
    queries: dict[str, str] = {}  # each model's SQL, by its name
    if not built:  # the catalogue's tables of the rules given, from which each model reads those naming it
        _write_catalogue(w, rules, lambda table: GIVEN_CATALOGUE_PREFIX + table, temporary=True)
    for model in RULE_MODELS:
        if of_model := [r for r in rules if r.model == model]:
            queries[model] = _model_sql(w, model, of_model, reporters, built)
    timings: dict[str, float] = {}
    parts = []
    for i, (name, sql) in enumerate(queries.items()):
        started = time.perf_counter()
        w.temp_table(f"dq_raw_{i}", f"select row_number() over () as finding_no, q.* from ({sql}) as q")
        parts.append(f"dq_raw_{i}")
        timings[name] = time.perf_counter() - started
    started = time.perf_counter()
    findings = resolve_cells(w, parts)
    for table in parts:
        w.execute(f"drop table {table}")
    timings["cells"] = time.perf_counter() - started
    return findings, timings


def finding_id(rule_id: str, cell_keys: str) -> str:
    """Stable across runs: the same broken relation on the same cells keeps its id (16 hex digits of
    an md5, as dbt's finding_id macro makes the door findings' ids)."""
    return hashlib.md5(f"{rule_id}|{cell_keys}".encode()).hexdigest()[:16]


def vn_number(x: float | None) -> str:
    """Vietnamese notation for messages to boards: 81770.544 -> '81.770,544'."""
    if x is None or pd.isna(x):
        return "?"
    return vn_format(x, 3, trim=True)


def en_number(x: float | None) -> str:
    """English notation for the English messages: 81770.544 -> '81,770.544'. A figure in Vietnamese
    notation would read a thousand times smaller to an English reader ('about 1.958 times')."""
    if x is None or pd.isna(x):
        return "?"
    return en_format(x, 3, trim=True)


NUMBER_IN = {"en": en_number, "vi": vn_number}  # a finding's figures in its message's language
