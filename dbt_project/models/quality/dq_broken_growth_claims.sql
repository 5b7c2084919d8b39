{{ config(**reporter_year_config()) }}
{#- Printed growth against the same period of last year that does not match last year's figure within
    the printed precision (the catalogue's growth rule), and claims whose last year is not in the
    warehouse (rate_missing): macros/rules.sql's claims_with_last_year tells last year's figure.
    Built by the claim's reporter-year, as dq_broken_sums is (see there), with a row per current
    version checked; in an incremental build the next year of a changed reporter-year's province
    (and of the 2025 province formed from it) is checked again too, as its claims compare with it. -#}
{%- set columns = "report_key, figure_hash, series_key, series_2025_key, reporter_kind, reporter_code, "
                  "reporter_vintage, zone_key, indicator_code, period_month, value, rounding_tolerance, "
                  "growth_pct_claimed, growth_tolerance" %}
{%- set last_value = "nullif(c.last_value, 0)" %}
with rules as (
    select rule_id from {{ source('quality', 'dq_rules') }} where model = 'dq_broken_growth_claims'
),

checked as not materialized (
    {{ figures_to_check(columns, dependants='the next year') }}
),

claims as (
    {{ claims_with_last_year("select * from checked", rule_figures(columns), ["report_key"]) }}
),

broken as (
    select c.*, r.rule_id
    from claims as c
    cross join rules as r
    where c.last_value is null
        or (c.last_value <> 0 and abs(c.growth_pct_claimed - 100.0 * (c.value / {{ last_value }} - 1)) >
            {{ percent_tolerance('c.growth_tolerance', 'c.value', 'c.rounding_tolerance', last_value, 'c.last_tol') }}
            + 1e-9)
),

versions as (
    {{ versions_of_reports('broken') }}
)

select
    v.reporter_id,
    c.period_year,
    v.submission_id,
    v.n_revisions,
    c.rule_id,
    c.report_key,
    -- the claim's figure (its figure_hash); last year's figures are shown beside it
    array[c.figure_hash] as cells,
    c.last_cells as context,
    100.0 * (c.value / {{ last_value }} - 1) as expected,
    c.growth_pct_claimed as found,
    c.growth_pct_claimed - 100.0 * (c.value / {{ last_value }} - 1) as imbalance,
    {{ percent_tolerance('c.growth_tolerance', 'c.value', 'c.rounding_tolerance', last_value, 'c.last_tol') }}
        as tolerance,
    c.last_value is null as rate_missing,
    c.last_value,
    c.last_tol,
    cast(c.period_year - 1 as varchar) || '-' || lpad(cast(c.period_month as varchar), 2, '0') as last_period
from broken as c
inner join versions as v on c.report_key = v.report_key

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'bigint[]', 'double precision', 'double precision',
                     'double precision', 'double precision', 'boolean', 'double precision', 'double precision',
                     'varchar']) }}
