{#- The fact tables (one per domain of the indicators) share one shape; each selects its domain.
    Grain: reporter x zone x period x indicator x breakdown, current version. -#}
{% macro fact_table(domain) %}
{{ config(tags=['fact'], **reporter_year_config()) }}
{%- set province_2025 = reporter_province_2025_code('f', 'succ') %}
select
    {{ dbt.concat(["f.reporter_id", "'|'", "f.zone_key", "'|'", "f.period_key", "'|'",
                   "f.indicator_code", "'|'", "f.breakdown"]) }} as figure_key,
    f.reporter_id,
    f.reporter_kind,
    f.reporter_code,
    f.reporter_vintage,
    {{ province_2025 }} as province_2025_code,
    f.zone_key,
    f.zone_name,
    f.period_key,
    f.period_year,
    f.period_month,
    f.indicator_code,
    f.indicator_kind,
    f.breakdown,
    f.value,
    f.unit,
    f.value_as_typed,
    f.unit_as_typed,
    f.rounding_tolerance,
    f.text_as_typed,
    f.value_vnd_bn,
    f.value_usd_mn,
    f.fx_vnd_per_usd,
    f.fx_rate_missing,
    f.value_ytd,
    f.value_month,
    f.value_since_previous,
    f.months_covered,
    f.growth_pct_claimed,
    f.share_pct_claimed,
    f.growth_tolerance,
    f.share_tolerance,
    {%- for column in figures_carried_as_landed() %}
    f.{{ column }},
    {%- endfor %}
    f.status,
    f.revision_number,
    f.n_revisions,
    f.submission_id,
    f.source_sheet,
    f.source_cell,
    cast(null as {{ dbt.type_string() }}) as worst_finding_severity,
    -- Integer join keys for the quality rules, computed once when the row is written (the facts
    -- are incremental) instead of hashing two million strings at every check run.
    {{ row_key(["f.reporter_id", "f.zone_key", "f.period_key", "f.indicator_code", "f.breakdown"]) }} as figure_hash,
    {{ row_key(["f.submission_id", "f.zone_key"]) }} as report_key,
    {{ row_key(["f.reporter_id", "f.zone_key", "f.indicator_code", "f.breakdown", "f.unit"]) }} as series_key,
    {{ row_key([reporter_group(province_2025, "f.reporter_id"), "f.zone_key", "f.indicator_code", "f.breakdown",
                "f.unit"]) }} as series_2025_key
from {{ ref('int_figures_decumulated') }} as f
{{ only_changed_reporter_years('f', ref('int_figures_decumulated'), "domain = '" ~ domain ~ "'") }}
left join {{ ref('province_succession') }} as succ
    on f.reporter_kind = 'province'
    and f.reporter_vintage = succ.from_vintage
    and f.reporter_code = succ.from_gso_code
where f.domain = '{{ domain }}'
-- Written in series order (each reporter's zone, indicator and breakdown with its months
-- together): DuckDB keeps rows in the order they are inserted, so what is read together is
-- stored together: the quality catalogue, a GROUP BY reporter, period, indicator and a query for
-- one province (whose row groups are skipped by their min/max) all read fewer blocks than on rows
-- in join order. An incremental run appends each changed reporter-year in this order, which
-- keeps most of the benefit.
order by f.reporter_id, f.zone_key, f.indicator_code, f.breakdown, f.period_key
{% endmacro %}
