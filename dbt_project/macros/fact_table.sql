{#- The fact tables (one per domain of the indicators) share one shape; each selects its domain.
    Grain: reporter x zone x period x indicator x breakdown, current version.
    What a fact's columns are made of (its keys, its money in dong) is written in the macros below
    it, which `zonestat validate` renders too (expectations/relations.py) for the facts it makes of
    a file's figures. -#}
{% macro fact_table(domain) %}
{{ config(tags=['fact'], **reporter_year_config()) }}
{%- set province_2025 = reporter_province_2025_code('f', 'succ') %}
select
    {{ figure_key('f') }} as figure_key,
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
    {{ fact_join_keys('f', province_2025) }}
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

{#- A figure's key (the grain's columns), over `f`: a relation with the facts' columns. -#}
{% macro figure_key(f) -%}
    {{ f }}.reporter_id || '|' || {{ f }}.zone_key || '|' || {{ f }}.period_key || '|' || {{ f }}.indicator_code
        || '|' || {{ f }}.breakdown
{%- endmacro %}

{#- The integer join keys of the quality rules (select-list items), over `f` (the facts' columns) and
    `province_2025` (SQL of its province among the 34). Computed once when a fact is written (the
    facts are incremental) instead of hashing two million strings at every check run. -#}
{% macro fact_join_keys(f, province_2025) -%}
    {{ row_key([f ~ ".reporter_id", f ~ ".zone_key", f ~ ".period_key", f ~ ".indicator_code", f ~ ".breakdown"]) }} as figure_hash,
    {{ row_key([f ~ ".submission_id", f ~ ".zone_key"]) }} as report_key,
    {{ row_key([f ~ ".reporter_id", f ~ ".zone_key", f ~ ".indicator_code", f ~ ".breakdown", f ~ ".unit"]) }} as series_key,
    {{ row_key([reporter_group(province_2025, f ~ ".reporter_id"), f ~ ".zone_key", f ~ ".indicator_code",
                f ~ ".breakdown", f ~ ".unit"]) }} as series_2025_key
{%- endmacro %}

{#- A money figure (`value` in `unit`) in `currency` ('VND_bn' or 'USD_mn') at `vnd_per_usd` dong to
    the dollar; null for a figure that is not money, or without a rate (never zero). -#}
{% macro money_in(currency, value, unit, vnd_per_usd) -%}
    {%- set other = {'VND_bn': 'USD_mn', 'USD_mn': 'VND_bn'}[currency] -%}
    case
        when {{ unit }} = '{{ currency }}' then {{ value }}
        {%- if currency == 'VND_bn' %}
        when {{ unit }} = '{{ other }}' then {{ value }} * {{ vnd_per_usd }} / 1000.0
        {%- else %}
        when {{ unit }} = '{{ other }}' then {{ value }} * 1000.0 / {{ vnd_per_usd }}
        {%- endif %}
    end
{%- endmacro %}
