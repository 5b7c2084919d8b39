{#- Who a report belongs to across the 2025 merger of provinces (63 before July 2025, 34 after).
    Plain jinja: the facts (fact_table.sql), dim_province, dim_bloc_member, the incremental scope, and outside dbt the
    quality engine and `zonestat validate` (expectations/relations.py) take them from here. -#}

{#- A province's code among the 34: its own when it is one of them, else that of the province it was
    merged into (`merged_into`: province_succession's to_gso_code of the province, joined by the
    caller). Vintage 2008 is the list of the 63, valid until the merger. -#}
{% macro province_2025_code(vintage, code, merged_into) -%}
    case when {{ vintage }} = 2008 then {{ merged_into }} else {{ code }} end
{%- endmacro %}

{#- A report's province among the 34, from its reporter's columns (`r`: reporter_kind,
    reporter_vintage, reporter_code) and its province_succession row (`succession`, joined by the
    caller); null for a bloc's. -#}
{% macro reporter_province_2025_code(r, succession) -%}
    case when {{ r }}.reporter_kind = 'province'
        then {{ province_2025_code(r ~ '.reporter_vintage', r ~ '.reporter_code', succession ~ '.to_gso_code') }} end
{%- endmacro %}

{#- The reports whose findings depend on one another, by their reporter: a province's, all years,
    with those of the provinces it was merged with in 2025 (growth across the merger, a series'
    history), by its 2025 code; a bloc's alone, by its id. -#}
{% macro reporter_group(province_2025_code, reporter_id) -%}
    coalesce({{ province_2025_code }}, {{ reporter_id }})
{%- endmacro %}
