{#- A finding's severity as a rank, the worst first (0 for an error): var('severities'). -#}
{% macro severity_rank(column) -%}
    case {{ column }}{% for s in var('severities') %} when '{{ s }}' then {{ loop.index0 }}{% endfor %} else {{ var('severities') | length }} end
{%- endmacro %}

{#- The severity of a rank (the inverse of severity_rank). -#}
{% macro severity_of_rank(rank) -%}
    case {{ rank }}{% for s in var('severities') %} when {{ loop.index0 }} then '{{ s }}'{% endfor %} end
{%- endmacro %}
