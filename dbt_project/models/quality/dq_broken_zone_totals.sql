{{ config(**reporter_year_config()) }}
{#- The province figures that are not the sum of their zones' within the rounding tolerance, for the
    indicators that add up (the catalogue's zone hierarchy rule): a report's figure of the whole
    province, against the same figure (indicator, breakdown, unit) of each zone the report lists.
    Built and rendered as dq_broken_sums is (see there), with a row per current version checked. -#}
{%- set figure_in_report = hash_of(["submission_id", "indicator_code", "breakdown", "unit"]) %}
with rules as (
    select rule_id from {{ source('quality', 'dq_rules') }} where model = 'dq_broken_zone_totals'
),

checked as not materialized (
    {{ figures_to_check("report_key, zone_key, figure_hash, indicator_code, breakdown, unit, value, "
                         "rounding_tolerance") }}
),

zone_figures as not materialized (
    -- most of the figures are zones': summed on one integer for the figure within its report,
    -- whichever the zone, and listed only where the province's differs
    select {{ figure_in_report }} as figure_in_report, zone_key, figure_hash, value, rounding_tolerance
    from checked
    where zone_key <> '' and indicator_code in ({{ additive_indicators() }})
),

zones as (
    select figure_in_report, sum(value) as value, sum(rounding_tolerance) as tol
    from zone_figures
    group by figure_in_report
),

broken as materialized (
    select p.reporter_id, p.period_year, p.submission_id, p.n_revisions, p.report_key, p.figure_hash,
        p.figure_in_report, p.value, p.rounding_tolerance, z.value as zones_value, z.tol as zones_tol
    from (select *, {{ figure_in_report }} as figure_in_report from checked where zone_key = '') as p
    inner join zones as z on p.figure_in_report = z.figure_in_report
    where abs(p.value - z.value) > p.rounding_tolerance + z.tol + 1e-9 * abs(p.value)
)

select
    {{ version_of('b') }},
    min(r.rule_id) as rule_id,
    b.report_key,
    -- the province's figure, then its zones' (their figure_hash)
    array_prepend(min(b.figure_hash), array_agg(z.figure_hash order by z.zone_key)) as cells,
    -- the province's figure names the finding's indicator and breakdown
    1 as named,
    min(b.zones_value) as expected,
    min(b.value) as found,
    min(b.value - b.zones_value) as imbalance,
    min(b.rounding_tolerance + b.zones_tol) as tolerance,
    false as rate_missing
from broken as b
inner join zone_figures as z on b.figure_in_report = z.figure_in_report
cross join rules as r
group by b.figure_hash, b.report_key

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'integer', 'double precision', 'double precision',
                     'double precision', 'double precision', 'boolean']) }}
