-- Zones as reported, keyed within their 2025 province so a zone keeps its key across the merger.
with named as (
    select
        zone_key,
        zone_name,
        zone_kind,
        reporter_kind,
        period_key,
        row_number() over (partition by zone_key order by period_key desc, zone_name) as latest
    from {{ ref('int_figures_revisions') }}
    where zone_key <> ''
)

select
    zone_key,
    zone_name,
    zone_kind,
    case when reporter_kind = 'province' then {{ dbt.split_part("zone_key", "':'", 1) }} end as province_2025_code
from named
where latest = 1
