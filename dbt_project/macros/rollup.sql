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
    sum(value) as value,
    sum(value_vnd_bn) as value_vnd_bn,
    sum(value_usd_mn) as value_usd_mn,
    sum(value_month) as value_month,
    count(*) as n_reporters,
    sum(case when status = 'chinh_thuc' then 1 else 0 end) as n_official
from {{ ref('int_province_figures_additive') }}
group by {% for c in group_columns %}{{ c }}, {% endfor %}period_key, period_year, period_month,
    indicator_code, breakdown, unit
{% endmacro %}
