{{ config(**reporter_year_config()) }}
-- Monthly flows from year-to-date reports: the difference of consecutive year-to-date figures.
-- When the previous month is missing, value_month is NULL and value_since_previous covers
-- the months since the last report (months_covered says how many). Stocks are point-in-time:
-- their monthly value is the stock itself.
with figures as (
    select
        f.*,
        i.kind as indicator_kind,
        i.domain
    from {{ ref('int_figures_converted') }} as f
    {{ only_changed_reporter_years('f', ref('int_figures_converted')) }}
    inner join {{ ref('indicators') }} as i
        on f.indicator_code = i.code
),

lagged as (
    select
        figures.*,
        lag(period_month) over (
            partition by reporter_id, zone_key, indicator_code, breakdown, period_year
            order by period_month
        ) as previous_month,
        lag(value) over (
            partition by reporter_id, zone_key, indicator_code, breakdown, period_year
            order by period_month
        ) as previous_ytd
    from figures
)

select
    lagged.*,
    case when indicator_kind = 'flow' then value end as value_ytd,
    case
        when indicator_kind <> 'flow' then value
        when period_month = 1 then value
        when previous_month = period_month - 1 then value - previous_ytd
    end as value_month,
    case when indicator_kind = 'flow' then value - coalesce(previous_ytd, 0) end as value_since_previous,
    case when indicator_kind = 'flow' then period_month - coalesce(previous_month, 0) end as months_covered
from lagged
