{{ config(**reporter_year_config()) }}
{#- The figures about 1000 times their own series' usual level, either way (the catalogue's magnitude
    rule against history, source quality.dq_rules: how many times, low and high, and how much history
    it needs): the usual level is the median of the series' figures of the same month in all years
    for flows, of all its figures otherwise, across the 2025 merger (series_2025_key). A series is
    one province's (with the provinces it was merged with), so the model is built by reporter-year
    as dq_broken_sums is (see there), and an incremental build checks every year of a changed
    reporter-year's province again, as each of its figures moves the median. -#}
with rules as (
    select rule_id, low, high, min_history from {{ source('quality', 'dq_rules') }}
    where model = 'dq_far_from_usual_level'
),

checked as not materialized (
    {{ figures_to_check("report_key, figure_hash, series_2025_key, indicator_kind, period_month, value",
                        dependants='every year') }}
),

keyed as materialized (
    -- the series' figures (every year of the province is checked), by season
    select reporter_id, period_year, submission_id, n_revisions, report_key, figure_hash, series_2025_key, value, season
    from ({{ figures_by_season('checked') }}) as by_season
),

spread as (
    -- a figure `low` times off its median needs a series whose largest figure is at least `low`
    -- times its smallest: the median is taken only for those (few), not for every series
    select series_2025_key, season
    from keyed
    group by series_2025_key, season
    having count(*) > (select min(min_history) from rules) and max(value) >= (select min(low) from rules) * min(value)
),

typical as (
    select k.series_2025_key, k.season, percentile_cont(0.5) within group (order by k.value) as typical,
        count(*) as n
    from keyed as k
    inner join spread as s on k.series_2025_key = s.series_2025_key and k.season = s.season
    group by k.series_2025_key, k.season
)

select
    k.reporter_id,
    k.period_year,
    k.submission_id,
    k.n_revisions,
    r.rule_id,
    k.report_key,
    array[k.figure_hash] as cells,
    t.typical as expected,
    k.value as found,
    k.value / t.typical as imbalance,
    0.0 as tolerance,
    false as rate_missing
from keyed as k
inner join typical as t on k.series_2025_key = t.series_2025_key and k.season = t.season
inner join rules as r on t.n > r.min_history
where k.value / t.typical between r.low and r.high or t.typical / k.value between r.low and r.high

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'double precision', 'double precision', 'double precision',
                     'double precision', 'boolean']) }}
