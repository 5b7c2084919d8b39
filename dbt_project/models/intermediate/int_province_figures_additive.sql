{{ config(**reporter_year_config()) }}
-- Province-level (whole-province, not per-zone) current figures that can be added up:
-- the var `additive` (dbt_project.yml). Rates and average incomes cannot.
select
    f.*,
    p.successor_2025_code as province_2025_code,
    p.region
from {{ ref('int_figures_decumulated') }} as f
{{ only_changed_reporter_years('f', ref('int_figures_decumulated'), "reporter_kind = 'province' and zone_key = ''") }}
inner join {{ ref('dim_province') }} as p
    on f.reporter_vintage = p.vintage and f.reporter_code = p.gso_code
inner join {{ ref('indicators') }} as i
    on f.indicator_code = i.code
where f.reporter_kind = 'province'
    and f.zone_key = ''
    and i.kind in ({{ quoted_list(var('additive')['kinds']) }})
    and i.unit_family in ({{ quoted_list(var('additive')['unit_families']) }})
