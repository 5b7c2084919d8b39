{#- A list of codes from a project variable as SQL string literals: 'a', 'b', 'c'. -#}
{% macro quoted_list(values) -%}
    {%- for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}
