-- Reporting periods of the years first_period_year..last_period_year (dbt_project.yml, which the
-- door reads too): 'YYYY-MM' is year to date through month MM ('YYYY-12' = the year).
with digits as (
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

years as (
    select {{ var('first_period_year') }} + tens.d * 10 + ones.d as period_year
    from digits as tens cross join digits as ones
    where {{ var('first_period_year') }} + tens.d * 10 + ones.d <= {{ var('last_period_year') }}
),

months as (
    select ones.d + 1 as period_month from digits as ones
    union all select 11 union all select 12
),

vintage_starts as (
    -- the month each province vintage came into force (the seed's valid_from, the same in each row
    -- of a vintage; zonestat/reference.py's vintage_for reads it too)
    select vintage, min(extract(year from valid_from) * 100 + extract(month from valid_from)) as first_month
    from {{ ref('provinces') }}
    group by vintage
)

select
    {{ dbt.concat(["cast(period_year as " ~ dbt.type_string() ~ ")", "'-'",
                   "case when period_month < 10 then '0' else '' end",
                   "cast(period_month as " ~ dbt.type_string() ~ ")"]) }} as period_key,
    period_year,
    period_month,
    period_month = 12 as is_whole_year,
    true as is_year_to_date,
    cast(floor((period_month - 1) / 3) + 1 as integer) as quarter,
    case when period_month <= 6 then 1 else 2 end as half,
    -- the oldest vintage for a period before it (zonestat/reference.py's vintage_for)
    cast(coalesce(
        (select max(v.vintage) from vintage_starts as v where v.first_month <= period_year * 100 + period_month),
        (select min(v.vintage) from vintage_starts as v)
    ) as integer) as province_vintage
from years cross join months
