{#- Sum additive province figures over a grouping (2025 province, region, nation). -#}
{% macro rollup(group_columns) %}
select
    {% for c in group_columns %}{{ c }},
    {% endfor %}period_key,
    period_year,
    period_month,
    indicator_code,
    breakdown,
    unit,
    {{ figure_sum('value') }} as value,
    {{ figure_sum('value_vnd_bn') }} as value_vnd_bn,
    {{ figure_sum('value_usd_mn') }} as value_usd_mn,
    {{ figure_sum('value_month') }} as value_month,
    count(*) as n_reporters,
    sum(case when status = 'chinh_thuc' then 1 else 0 end) as n_official
from {{ ref('int_province_figures_additive') }}
group by {% for c in group_columns %}{{ c }}, {% endfor %}period_key, period_year, period_month,
    indicator_code, breakdown, unit
{% endmacro %}


{#- A sum of printed figures, without the binary noise of adding doubles (848.5569999999999 for
    848.557): figures are printed to at most three decimals of their unit, and a converted one is
    kept to six (one USD of a million). -#}
{% macro figure_sum(expression) %}{{ return(adapter.dispatch('figure_sum', 'zonestat')(expression)) }}{% endmacro %}

{% macro default__figure_sum(expression) %}round(sum({{ expression }}), 6){% endmacro %}

{% macro postgres__figure_sum(expression) %}round(sum({{ expression }})::numeric, 6)::double precision{% endmacro %}
