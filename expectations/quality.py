"""The quality engine: run the rule catalogue as SQL over the marts and write dq_findings.

Detection is set-based SQL in the warehouse (one query per rule kind over every report), so
the whole catalogue costs a few scans of the fact tables. For every report with a broken
rule, suggest.py then searches the smallest set of cells whose correction satisfies all of
its rules. Findings about what boards reported are flags, never blockers: they are written
beside the facts, and each fact row gets the worst severity of the findings touching it.
"""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from expectations.catalogue import Rule, load
from ingest.numbers import vn_format

FACT_TABLES = ("fct_investment", "fct_output", "fct_trade", "fct_labour", "fct_infrastructure")
# When no rate is known for the year, plausibility checks still need a rough VND per USD.
PLAUSIBILITY_VND_PER_USD = 25000.0
FINDING_COLUMNS = [
    "finding_id", "rule_id", "kind", "severity", "reporter_id", "period_key", "zone_key", "submission_id",
    "revision_number", "indicators", "breakdowns", "expected", "found", "imbalance", "tolerance",
    "message", "message_vi", "source_cells", "cell_keys", "suggestion", "suggestion_vi", "suggested_cells",
    "suggested_values",
]

CELLS_VIEW = "dq_cells"


def create_cells_view(con: duckdb.DuckDBPyConnection) -> None:
    """One view of the current figures of every fact table: the rules' universe."""
    columns = """figure_key, reporter_id, reporter_kind, reporter_code, province_2025_code, zone_key, period_key,
        period_year, period_month, indicator_code, indicator_kind, breakdown, value, unit, value_vnd_bn,
        rounding_tolerance, growth_pct_claimed, growth_tolerance, share_pct_claimed, share_tolerance,
        submission_id, revision_number, text_as_typed,
        case when source_sheet = '' then source_cell else source_sheet || '!' || source_cell end as cell_ref,
        coalesce(value_vnd_bn / nullif(value, 0), 1.0) as vnd_factor, reporter_vintage"""
    union = "\nunion all\n".join(f"select {columns} from {t}" for t in FACT_TABLES)
    # A view, not a temporary table: each rule reads only the columns it needs straight from the
    # compressed fact tables, which measured faster on the full history (7 s against 12 s for the
    # whole detection) than copying every string once into a table that spills past the memory limit.
    con.execute(f"create or replace temp view {CELLS_VIEW} as {union}")


def _values(rows: list[tuple]) -> str:
    def lit(v: object) -> str:
        return f"'{v}'" if isinstance(v, str) else repr(float(v)) if isinstance(v, float) else str(v)
    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def _linear_sql(rules: list[Rule]) -> str:
    """Balance and bound relations: sum(coef * value) = 0 (or <= 0) within the rounding tolerance.

    The sums are computed for every report first; the lists of cells, which cost far more,
    only for the relations that are broken.
    """
    terms, infos = [], []
    for rule in rules:
        for rel in rule.relations:
            infos.append((rel.relation_id, rule.id, rel.comparison, len(rel.terms), rule.fx_relative))
            terms += [(rel.relation_id, t.indicator, t.breakdown, t.coef) for t in rel.terms]
    return f"""
    with terms(relation_id, indicator_code, breakdown, coef) as (values {_values(terms)}),
    info(relation_id, rule_id, comparison, n_terms, fx_relative) as (values {_values(infos)}),
    joined as (
        -- only what the sums need: this is most of the catalogue's work, strings would double it
        select t.relation_id, t.coef, c.submission_id, c.zone_key, c.value, c.unit, c.value_vnd_bn,
            c.rounding_tolerance, c.vnd_factor
        from {CELLS_VIEW} c
        join terms t on c.indicator_code = t.indicator_code and c.breakdown = t.breakdown
    ),
    grouped as (
        select relation_id, submission_id, zone_key,
            count(*) as n, min(unit) <> max(unit) as mixed, count(value_vnd_bn) as n_converted,
            sum(case when coef > 0 then value end) as lhs, sum(case when coef < 0 then value end) as rhs,
            sum(case when coef > 0 then value_vnd_bn end) as lhs_vnd,
            sum(case when coef < 0 then value_vnd_bn end) as rhs_vnd,
            sum(rounding_tolerance) as tol, sum(rounding_tolerance * vnd_factor) as tol_vnd
        from joined
        group by relation_id, submission_id, zone_key
    ),
    broken as (
        select g.*, i.rule_id,
            case when not mixed then lhs else lhs_vnd end as lhs_cmp,
            case when not mixed then rhs else rhs_vnd end as rhs_cmp,
            case when not mixed then tol
                 else tol_vnd + i.fx_relative * greatest(abs(lhs_vnd), abs(rhs_vnd)) end as tolerance,
            mixed and n_converted < n as rate_missing
        from grouped g join info i using (relation_id)
        where g.n = i.n_terms and (
            (mixed and n_converted < n)
            or (i.comparison = '=' and abs(case when not mixed then lhs - rhs else lhs_vnd - rhs_vnd end) >
                case when not mixed then tol else tol_vnd + i.fx_relative * greatest(abs(lhs_vnd), abs(rhs_vnd)) end
                + 1e-9 * greatest(abs(lhs), abs(rhs)))
            or (i.comparison = '<=' and case when not mixed then lhs - rhs else lhs_vnd - rhs_vnd end >
                case when not mixed then tol else tol_vnd + i.fx_relative * greatest(abs(lhs_vnd), abs(rhs_vnd)) end
                + 1e-9 * greatest(abs(lhs), abs(rhs))))
    )
    select b.rule_id, max(j.reporter_id) as reporter_id, b.zone_key, max(j.period_key) as period_key,
        b.submission_id, max(j.revision_number) as revision_number,
        string_agg(j.indicator_code, ',' order by t.coef desc, j.indicator_code, j.breakdown) as indicators,
        string_agg(j.breakdown, ',' order by t.coef desc, j.indicator_code, j.breakdown) as breakdowns,
        string_agg(j.cell_ref, ', ' order by t.coef desc, j.indicator_code, j.breakdown) as source_cells,
        string_agg(j.figure_key, '¦' order by t.coef desc, j.indicator_code, j.breakdown) as cell_keys,
        any_value(b.rhs_cmp) as expected, any_value(b.lhs_cmp) as found,
        any_value(b.lhs_cmp - b.rhs_cmp) as imbalance, any_value(b.tolerance) as tolerance,
        bool_or(b.rate_missing) as rate_missing
    from broken b
    join terms t on t.relation_id = b.relation_id
    join {CELLS_VIEW} j on j.submission_id = b.submission_id and j.zone_key = b.zone_key
        and j.indicator_code = t.indicator_code and j.breakdown = t.breakdown
    group by b.rule_id, b.relation_id, b.submission_id, b.zone_key
    """


def _ratio_sql(rules: list[Rule]) -> str:
    """Printed rates against their numerator and denominator, within the printed precision."""
    terms = []
    for rule in rules:
        for rel in rule.relations:
            for role, t in zip(("rate", "num", "den"), rel.terms):
                terms.append((rel.relation_id, rule.id, role, t.indicator, t.breakdown))
    return f"""
    with terms(relation_id, rule_id, role, indicator_code, breakdown) as (values {_values(terms)}),
    joined as (
        select t.relation_id, t.rule_id, t.role, c.* from {CELLS_VIEW} c
        join terms t on c.indicator_code = t.indicator_code and c.breakdown = t.breakdown
    ),
    pivoted as (
        select relation_id, rule_id, submission_id, zone_key, count(*) as n,
            max(case when role = 'rate' then value end) as rate,
            max(case when role = 'rate' then rounding_tolerance end) as rate_tol,
            max(case when role = 'num' then value end) as num, max(case when role = 'den' then value end) as den,
            max(case when role = 'num' then unit end) = max(case when role = 'den' then unit end) as same_unit,
            max(case when role = 'num' then value_vnd_bn end) as num_vnd,
            max(case when role = 'den' then value_vnd_bn end) as den_vnd,
            max(case when role = 'num' then rounding_tolerance * vnd_factor end) as num_tol_vnd,
            max(case when role = 'den' then rounding_tolerance * vnd_factor end) as den_tol_vnd,
            max(case when role = 'num' then rounding_tolerance end) as num_tol,
            max(case when role = 'den' then rounding_tolerance end) as den_tol
        from joined group by relation_id, rule_id, submission_id, zone_key
    ),
    computed as (
        select *,
            case when same_unit then num else num_vnd end as n_cmp,
            case when same_unit then den else den_vnd end as d_cmp,
            case when same_unit then num_tol else num_tol_vnd end as n_tol,
            case when same_unit then den_tol else den_tol_vnd end as d_tol
        from pivoted where n = 3
    ),
    broken as (
        select * from computed
        where d_cmp is null or n_cmp is null or (d_cmp <> 0 and abs(rate - 100.0 * n_cmp / d_cmp) >
            rate_tol + 100.0 * (n_tol / abs(d_cmp) + abs(n_cmp) * d_tol / (d_cmp * d_cmp)) + 1e-9)
    )
    select b.rule_id, max(j.reporter_id) as reporter_id, b.zone_key, max(j.period_key) as period_key,
        b.submission_id, max(j.revision_number) as revision_number,
        string_agg(j.indicator_code, ',' order by j.role desc) as indicators,
        string_agg(j.breakdown, ',' order by j.role desc) as breakdowns,
        string_agg(j.cell_ref, ', ' order by j.role desc) as source_cells,
        string_agg(j.figure_key, '¦' order by j.role desc) as cell_keys,
        any_value(100.0 * b.n_cmp / b.d_cmp) as expected, any_value(b.rate) as found,
        any_value(b.rate - 100.0 * b.n_cmp / b.d_cmp) as imbalance,
        any_value(b.rate_tol + 100.0 * (b.n_tol / abs(b.d_cmp) + abs(b.n_cmp) * b.d_tol / (b.d_cmp * b.d_cmp)))
            as tolerance,
        bool_or(b.n_cmp is null or b.d_cmp is null) as rate_missing
    from broken b
    join joined j on j.relation_id = b.relation_id and j.submission_id = b.submission_id and j.zone_key = b.zone_key
    group by b.rule_id, b.relation_id, b.submission_id, b.zone_key
    """


def _share_sql(rule: Rule) -> str:
    return f"""
    select '{rule.id}' as rule_id, c.reporter_id, c.zone_key, c.period_key, c.submission_id, c.revision_number,
        c.indicator_code || ',' || t.indicator_code as indicators, c.breakdown || ',' || t.breakdown as breakdowns,
        c.cell_ref || ', ' || t.cell_ref as source_cells, c.figure_key || '¦' || t.figure_key as cell_keys,
        100.0 * c.value_vnd_cmp / t.value_vnd_cmp as expected, c.share_pct_claimed as found,
        c.share_pct_claimed - 100.0 * c.value_vnd_cmp / t.value_vnd_cmp as imbalance,
        c.share_tolerance + 100.0 * (c.rounding_tolerance / abs(t.value) + abs(c.value) * t.rounding_tolerance
            / (t.value * t.value)) as tolerance,
        false as rate_missing
    from (select *, case when unit = 'VND_bn' or unit = 'USD_mn' then value_vnd_bn else value end as value_vnd_cmp
          from {CELLS_VIEW} where share_pct_claimed is not null) c
    join (select *, case when unit = 'VND_bn' or unit = 'USD_mn' then value_vnd_bn else value end as value_vnd_cmp
          from {CELLS_VIEW} where breakdown = 'TONG') t
      on c.submission_id = t.submission_id and c.zone_key = t.zone_key and c.indicator_code = t.indicator_code
    where t.value <> 0 and abs(c.share_pct_claimed - 100.0 * c.value_vnd_cmp / t.value_vnd_cmp) >
        c.share_tolerance + 100.0 * (c.rounding_tolerance / abs(t.value) + abs(c.value) * t.rounding_tolerance
            / (t.value * t.value)) + 1e-9
    """


def growth_sql(rule: Rule, broken_only: bool = True) -> str:
    """Claimed growth against the same period of last year, current version.

    Within one province vintage last year is the same reporter's figure; across the 2025
    merger it is the sum of the predecessors' figures (additive indicators only). With
    broken_only=False every claim is returned with its last-year value (the suggestion
    search needs the claims that hold too, so a correction does not break them).
    """
    broken = "" if broken_only else "true or"
    return f"""
    with claims as (
        select * from {CELLS_VIEW} where growth_pct_claimed is not null
    ),
    merged as (
        -- across the 2025 merger: last year is the sum of the predecessors' figures
        select c.figure_key, sum(l.value) as value, sum(l.rounding_tolerance) as tol,
            string_agg(l.period_key || ' ' || l.cell_ref, ', ') as cells
        from claims c
        join {CELLS_VIEW} l
          on l.province_2025_code = c.province_2025_code and l.zone_key = c.zone_key
         and l.indicator_code = c.indicator_code and l.breakdown = c.breakdown and l.unit = c.unit
         and l.period_year = c.period_year - 1 and l.period_month = c.period_month
        where c.reporter_kind = 'province' and l.reporter_kind = 'province'
          and l.reporter_vintage < c.reporter_vintage
          -- a zone is the same zone whoever reports it; a merged province is the sum of its parts
          and (c.zone_key <> '' or {ADDITIVE.replace("indicator_code", "c.indicator_code")})
        group by c.figure_key
    ),
    matched as (
        -- the same reporter last year is one row per claim: joined directly, not grouped (most
        -- claims are of this kind, and grouping a million claims by their key costs seconds)
        select c.*,
            coalesce(s.value, m.value) as last_value,
            coalesce(s.rounding_tolerance, m.tol) as last_tol,
            coalesce(s.period_key || ' ' || s.cell_ref, m.cells) as last_cells
        from claims c
        left join {CELLS_VIEW} s
          on s.reporter_id = c.reporter_id and s.zone_key = c.zone_key and s.indicator_code = c.indicator_code
         and s.breakdown = c.breakdown and s.unit = c.unit
         and s.period_year = c.period_year - 1 and s.period_month = c.period_month
        left join merged m on m.figure_key = c.figure_key
    )
    select '{rule.id}' as rule_id, c.reporter_id, c.zone_key, c.period_key, c.submission_id, c.revision_number,
        c.indicator_code as indicators, c.breakdown as breakdowns,
        c.cell_ref || coalesce(', ' || c.last_cells, '') as source_cells, c.figure_key as cell_keys,
        100.0 * (c.value / c.last_value - 1) as expected, c.growth_pct_claimed as found,
        c.growth_pct_claimed - 100.0 * (c.value / c.last_value - 1) as imbalance,
        c.growth_tolerance + 100.0 * (c.rounding_tolerance / abs(c.last_value)
            + abs(c.value) * c.last_tol / (c.last_value * c.last_value)) as tolerance,
        c.last_value is null as rate_missing, c.last_value,
        cast(c.period_year - 1 as varchar) || '-' || lpad(cast(c.period_month as varchar), 2, '0') as last_period
    from matched c
    where {broken} c.last_value is null or (c.last_value <> 0
        and abs(c.growth_pct_claimed - 100.0 * (c.value / c.last_value - 1)) >
        c.growth_tolerance + 100.0 * (c.rounding_tolerance / abs(c.last_value)
            + abs(c.value) * c.last_tol / (c.last_value * c.last_value)) + 1e-9)
    """


ADDITIVE = """indicator_code in (select code from indicators where kind in ('flow', 'stock')
    and unit_family in ('count', 'money', 'persons', 'area'))"""


def _zone_hierarchy_sql(rule: Rule) -> str:
    return f"""
    with zones as (
        select submission_id, indicator_code, breakdown, unit, sum(value) as value, sum(rounding_tolerance) as tol
        from {CELLS_VIEW} where zone_key <> '' and {ADDITIVE}
        group by submission_id, indicator_code, breakdown, unit
    ),
    broken as (
        select p.*, z.value as zones_value, z.tol as zones_tol
        from {CELLS_VIEW} p
        join zones z on p.submission_id = z.submission_id and p.indicator_code = z.indicator_code
            and p.breakdown = z.breakdown and p.unit = z.unit
        where p.zone_key = '' and abs(p.value - z.value) > p.rounding_tolerance + z.tol + 1e-9 * abs(p.value)
    ),
    cells as (
        select b.figure_key, string_agg(c.cell_ref, ', ' order by c.cell_ref) as cells,
            string_agg(c.figure_key, '¦') as keys
        from broken b join {CELLS_VIEW} c on c.submission_id = b.submission_id and c.indicator_code = b.indicator_code
            and c.breakdown = b.breakdown and c.unit = b.unit and c.zone_key <> ''
        group by b.figure_key
    )
    select '{rule.id}' as rule_id, p.reporter_id, p.zone_key, p.period_key, p.submission_id, p.revision_number,
        p.indicator_code as indicators, p.breakdown as breakdowns, p.cell_ref || ', ' || z.cells as source_cells,
        p.figure_key || '¦' || z.keys as cell_keys, p.zones_value as expected, p.value as found,
        p.value - p.zones_value as imbalance, p.rounding_tolerance + p.zones_tol as tolerance, false as rate_missing
    from broken p join cells z using (figure_key)
    """


def _bloc_hierarchy_sql(rule: Rule) -> str:
    return f"""
    with member_reports as (
        select distinct m.bloc_code, m.member_gso_code, f.period_key, f.indicator_code, f.breakdown
        from dim_bloc_member m join {CELLS_VIEW} f
          on f.reporter_kind = 'province' and f.reporter_code = m.member_gso_code
         and f.reporter_id = 'province:' || cast(m.member_vintage as varchar) || ':' || m.member_gso_code
         and f.zone_key = ''
    ),
    missing as (
        select b.bloc_figure_key, string_agg(p.name_vi, ', ' order by p.name_vi) as missing_members,
            count(*) as n_missing
        from agg_bloc b join dim_bloc_member m on b.bloc_code = m.bloc_code
        join dim_province p on p.province_key = m.province_key
        left join member_reports r on r.bloc_code = b.bloc_code and r.member_gso_code = m.member_gso_code
            and r.period_key = b.period_key and r.indicator_code = b.indicator_code and r.breakdown = b.breakdown
        where r.member_gso_code is null
        group by b.bloc_figure_key
    )
    select '{rule.id}' as rule_id, 'bloc:' || b.bloc_code as reporter_id, '' as zone_key, b.period_key,
        b.submission_id, c.revision_number, b.indicator_code as indicators, b.breakdown as breakdowns,
        c.cell_ref as source_cells, c.figure_key as cell_keys, b.members_value as expected,
        b.reported_value as found, b.reported_value - b.members_value as imbalance,
        c.rounding_tolerance + {rule.relative} * abs(b.reported_value) as tolerance,
        coalesce(m.n_missing, 0) > 0 as rate_missing, m.missing_members, coalesce(m.n_missing, 0) as n_missing,
        b.n_members_known
    from agg_bloc b
    join {CELLS_VIEW} c on c.submission_id = b.submission_id and c.indicator_code = b.indicator_code
        and c.breakdown = b.breakdown and c.zone_key = ''
    left join missing m on m.bloc_figure_key = b.bloc_figure_key
    where b.reported_value is not null and (coalesce(m.n_missing, 0) > 0 or b.members_value is null
        or abs(b.reported_value - b.members_value) > c.rounding_tolerance + {rule.relative} * abs(b.reported_value))
    """


def _monotonic_sql(rule: Rule) -> str:
    excluded = ", ".join(f"'{i}'" for i in rule.spec.get("except_indicators", [])) or "''"
    return f"""
    select '{rule.id}' as rule_id, c.reporter_id, c.zone_key, c.period_key, c.submission_id, c.revision_number,
        c.indicator_code as indicators, c.breakdown as breakdowns,
        c.cell_ref || ', ' || p.period_key || ' ' || p.cell_ref as source_cells,
        c.figure_key || '¦' || p.figure_key as cell_keys, p.value as expected, c.value as found,
        c.value - p.value as imbalance, c.rounding_tolerance + p.rounding_tolerance as tolerance,
        false as rate_missing, p.period_key as previous_period
    from {CELLS_VIEW} c
    join {CELLS_VIEW} p on c.reporter_id = p.reporter_id and c.zone_key = p.zone_key
        and c.indicator_code = p.indicator_code and c.breakdown = p.breakdown and c.unit = p.unit
        and p.period_year = c.period_year and p.period_month = c.period_month - 1
    where c.indicator_kind = 'flow' and c.indicator_code not in ({excluded})
        and c.value < p.value - (c.rounding_tolerance + p.rounding_tolerance) - 1e-9 * abs(p.value)
    """


def _magnitude_range_sql(rule: Rule) -> str:
    low, high = rule.spec["range_vnd_bn"]
    terms = [(rel.relation_id, rel.terms[0].indicator, rel.terms[0].breakdown, rel.terms[1].indicator,
              rel.terms[1].breakdown) for rel in rule.relations]
    money = f"coalesce(n.value_vnd_bn, case when n.unit = 'USD_mn' then n.value * {PLAUSIBILITY_VND_PER_USD / 1000} " \
            "else n.value end)"
    return f"""
    with terms(relation_id, num_indicator, num_breakdown, den_indicator, den_breakdown) as (values {_values(terms)}),
    pairs as (
        select n.*, d.value as den_value, d.cell_ref as den_cell, {money} / nullif(d.value, 0) as per_unit
        from terms t
        join {CELLS_VIEW} n on n.indicator_code = t.num_indicator and n.breakdown = t.num_breakdown
        join {CELLS_VIEW} d on d.indicator_code = t.den_indicator and d.breakdown = t.den_breakdown
            and d.submission_id = n.submission_id and d.zone_key = n.zone_key
    )
    select '{rule.id}' as rule_id, reporter_id, zone_key, period_key, submission_id, revision_number,
        indicator_code as indicators, breakdown as breakdowns, cell_ref || ', ' || den_cell as source_cells,
        figure_key as cell_keys, value as cell_value, case when per_unit > {high} then {high} else {low} end as expected,
        per_unit as found, per_unit - case when per_unit > {high} then {high} else {low} end as imbalance,
        0.0 as tolerance, false as rate_missing, {low} as low, {high} as high
    from pairs
    where (per_unit > {high} and per_unit / 1000 between {low} and {high})
       or (per_unit < {low} and per_unit > 0 and per_unit * 1000 between {low} and {high})
    """


def _magnitude_history_sql(rule: Rule) -> str:
    """A figure about 1000 times its own usual level (same month in other years for flows)."""
    minimum = int(rule.spec.get("min_history", 2))
    return f"""
    with keyed as (
        select *, coalesce(province_2025_code, reporter_id) as series_key,
            case when indicator_kind = 'flow' then period_month else 0 end as season
        from {CELLS_VIEW} where value > 0 and indicator_kind <> 'ratio'
    ),
    typical as (
        select series_key, zone_key, indicator_code, breakdown, unit, season,
            median(value) as typical, count(*) as n
        from keyed group by series_key, zone_key, indicator_code, breakdown, unit, season
    )
    select '{rule.id}' as rule_id, k.reporter_id, k.zone_key, k.period_key, k.submission_id, k.revision_number,
        k.indicator_code as indicators, k.breakdown as breakdowns, k.cell_ref as source_cells,
        k.figure_key as cell_keys, t.typical as expected, k.value as found, k.value / t.typical as imbalance,
        0.0 as tolerance, false as rate_missing
    from keyed k join typical t using (series_key, zone_key, indicator_code, breakdown, unit, season)
    where t.n > {minimum} and (k.value / t.typical between 300 and 3000 or t.typical / k.value between 300 and 3000)
    """


def _plausibility_sql(rule: Rule) -> str:
    low, high = rule.spec["range"]
    return f"""
    select '{rule.id}' as rule_id, reporter_id, zone_key, period_key, submission_id, revision_number,
        indicator_code as indicators, breakdown as breakdowns, cell_ref as source_cells, figure_key as cell_keys,
        case when value > {high} then {high} else {low} end as expected, value as found,
        value - case when value > {high} then {high} else {low} end as imbalance, 0.0 as tolerance,
        false as rate_missing, {low} as low, {high} as high
    from {CELLS_VIEW}
    where indicator_code = '{rule.spec["indicator"]}' and (value < {low} or value > {high})
    """


def _missing_rate_sql(rule: Rule) -> str:
    """One finding per year whose money figures cannot be converted: the rate is not in fx_rates."""
    return f"""
    select '{rule.id}' as rule_id, null as reporter_id, '' as zone_key, cast(period_year as varchar) as period_key,
        null as submission_id, null as revision_number, null as indicators, null as breakdowns,
        null as source_cells, 'fx:' || cast(period_year as varchar) as cell_keys, null as expected,
        count(*) as found, null as imbalance, 0.0 as tolerance, false as rate_missing
    from {CELLS_VIEW}
    where unit in ('VND_bn', 'USD_mn') and value_vnd_bn is null and value is not null
    group by period_year
    """


def detect(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dict[str, float]]:
    """Every broken relation in the warehouse, one row each (before messages and suggestions),
    and the seconds each rule kind took."""
    import time

    con.execute("set enable_progress_bar = false")
    create_cells_view(con)
    rules = load()
    queries: list[tuple[list[Rule], str]] = []
    linear = [r for r in rules if r.kind in ("balance", "bound")]
    queries.append((linear, _linear_sql(linear)))
    ratio = [r for r in rules if r.kind == "ratio"]
    queries.append((ratio, _ratio_sql(ratio)))
    for rule in rules:
        builder = {
            "share": _share_sql, "growth": growth_sql, "monotonic": _monotonic_sql, "plausibility": _plausibility_sql,
            "reference": _missing_rate_sql,
        }.get(rule.kind)
        if rule.kind == "hierarchy":
            builder = _zone_hierarchy_sql if rule.spec.get("level") == "zone" else _bloc_hierarchy_sql
        if rule.kind == "magnitude":
            builder = _magnitude_range_sql if "numerator" in rule.spec else _magnitude_history_sql
        if builder:
            queries.append(([rule], builder(rule)))
    frames = []
    timings: dict[str, float] = {}
    for group, sql in queries:
        started = time.perf_counter()
        frame = con.execute(sql).df()
        timings[group[0].kind] = timings.get(group[0].kind, 0.0) + time.perf_counter() - started
        frames.append(frame)
    frames = [f for f in frames if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), timings


def load_rule(rule_id: str) -> Rule:
    return next(r for r in load() if r.id == rule_id)


def finding_id(rule_id: str, cell_keys: str) -> str:
    """Stable across runs: the same broken relation on the same cells keeps its id."""
    return hashlib.sha1(f"{rule_id}|{cell_keys}".encode()).hexdigest()[:16]


def vn_number(x: float | None) -> str:
    """Vietnamese notation for messages to boards: 81770.544 -> '81.770,544'."""
    if x is None or pd.isna(x):
        return "?"
    return vn_format(x, 3, trim=True)
