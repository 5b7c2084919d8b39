{{ config(**reporter_year_config()) }}
{#- The year-to-date flows below the same series' latest earlier report of the year (the catalogue's
    monotonic rule): monthly, quarterly or irregular, each report is compared with the one before
    it. Not for the indicators printed net (dbt_project.yml's var net_indicators), whose decreases
    can outweigh their increases. A series' year is one reporter-year, so the model is built by
    reporter-year as the others are (see dq_broken_sums): a new report of the year checks the year's
    reports again. Each finding is the later report's. -#}
with rules as (
    select rule_id from {{ source('quality', 'dq_rules') }} where model = 'dq_year_to_date_falls'
),

checked as not materialized (
    {{ figures_to_check("report_key, figure_hash, series_key, period_month, indicator_kind, indicator_code, "
                         "value, rounding_tolerance") }}
),

flows as not materialized (
    -- the figures the window orders, without their versions' text: looked up for the few that fell
    select figure_hash, report_key, series_key, period_year, period_month, value, rounding_tolerance
    from checked
    where indicator_kind = 'flow'
        and indicator_code not in (''{% for code in var('net_indicators') %}, '{{ code }}'{% endfor %})
),

paired as (
    select f.*, lag(f.value) over earlier as p_value, lag(f.rounding_tolerance) over earlier as p_tol,
        lag(f.figure_hash) over earlier as p_hash, lag(f.period_month) over earlier as p_month
    from flows as f
    window earlier as (partition by f.series_key, f.period_year order by f.period_month)
),

fell as (
    select * from paired
    where p_month < period_month and value < p_value - (rounding_tolerance + p_tol) - 1e-9 * abs(p_value)
),

versions as (
    {{ versions_of_reports('fell') }}
)

select
    v.reporter_id,
    p.period_year,
    v.submission_id,
    v.n_revisions,
    r.rule_id,
    p.report_key,
    -- the later figure, then the earlier (their figure_hash)
    array[p.figure_hash, p.p_hash] as cells,
    -- the later figure names the finding's indicator and breakdown
    1 as named,
    p.p_value as expected,
    p.value as found,
    p.value as cell_value,
    p.value - p.p_value as imbalance,
    p.rounding_tolerance + p.p_tol as tolerance,
    false as rate_missing,
    cast(p.period_year as varchar) || '-' || lpad(cast(p.p_month as varchar), 2, '0') as previous_period
from fell as p
inner join versions as v on p.report_key = v.report_key
cross join rules as r

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'integer', 'double precision', 'double precision',
                     'double precision', 'double precision', 'double precision', 'boolean', 'varchar']) }}
