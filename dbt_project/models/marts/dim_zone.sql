-- Zones as reported, keyed within their 2025 province so a zone keeps its key across the merger.
-- The name is the one of the latest period (the first in alphabetical order if two differ).
-- Grouped, not ranked with a window, which would sort every version's zones.
with zone_versions as (
    select zone_key, zone_name, zone_kind, reporter_kind, period_key
    from {{ ref('int_zone_versions') }}
),

latest as (
    select zone_key, max(period_key) as period_key
    from zone_versions
    group by zone_key
)

select
    zone_key,
    min(zone_name) as zone_name,
    {{ value_at_min("zone_kind", "zone_name") }} as zone_kind,
    case
        when {{ value_at_min("reporter_kind", "zone_name") }} = 'province' then {{ dbt.split_part("zone_key", "':'", 1) }}
    end as province_2025_code
from zone_versions
inner join latest using (zone_key, period_key)
group by zone_key
