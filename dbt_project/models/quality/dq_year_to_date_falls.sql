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

paired as (
    select c.*, lag(c.value) over earlier as p_value, lag(c.rounding_tolerance) over earlier as p_tol,
        lag(c.figure_hash) over earlier as p_hash, lag(c.period_month) over earlier as p_month
    from checked as c
    where c.indicator_kind = 'flow'
        and c.indicator_code not in (''{% for code in var('net_indicators') %}, '{{ code }}'{% endfor %})
    window earlier as (partition by c.series_key, c.period_year order by c.period_month)
)

select
    p.reporter_id,
    p.period_year,
    p.submission_id,
    p.n_revisions,
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
from paired as p
cross join rules as r
where p.p_month < p.period_month
    and p.value < p.p_value - (p.rounding_tolerance + p.p_tol) - 1e-9 * abs(p.p_value)

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'integer', 'double precision', 'double precision',
                     'double precision', 'double precision', 'double precision', 'boolean', 'varchar']) }}
