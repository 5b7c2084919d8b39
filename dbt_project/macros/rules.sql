{#- What the rules' models (models/quality) share. Plain jinja, nothing of dbt's but ref, var and
    only_changed_reporter_years: `zonestat validate` renders the models with these macros and no dbt
    (expectations/quality.py's render_model), and the suggestion search evaluates percent_tolerance
    on numbers (expectations/relations.py). -#}

{#- How far a printed percentage of `part` in `whole` (a rate, a share, a growth) may be from the
    one its printed figures give: its own rounding (`printed`) and the two figures' roundings
    carried into the ratio, to first order. Arithmetic that SQL and Python both read. -#}
{% macro percent_tolerance(printed, part, part_tol, whole, whole_tol) -%}
({{ printed }} + 100 * ({{ part_tol }} / abs({{ whole }}) + abs({{ part }}) * {{ whole_tol }} / ({{ whole }} * {{ whole }})))
{%- endmacro %}

{#- The figures a rule model checks, with the `columns` it reads (a CTE `checked`, not materialized:
    each part of a model reads only the columns and rows it needs of the facts): every current figure
    (rule_figures), or, in an incremental build, those of the reporter-years with a current version
    that the model has not checked yet. Each version checked has a row in the model, whatever it
    found, and the versions it checked that are no longer current go before the build
    (macros/incremental_scope.sql). -#}
{% macro figures_to_check(columns) -%}
    select c.*
    from ({{ rule_figures(columns) }}) as c
    {#- the versions are looked up among the submissions (one row each), not the facts -#}
    {{ only_changed_reporter_years('c', ref('int_submissions_ranked'), 'is_current') }}
{%- endmacro %}

{#- The `columns` of every current figure, from every fact table (dbt_project.yml's fact_domains),
    with the keys a reporter-year model is built by. -#}
{% macro rule_figures(columns) -%}
    {%- for domain in var('fact_domains') %}
    select reporter_id, period_year, submission_id, n_revisions, {{ columns }}
    from {{ ref('fct_' ~ domain) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- A figure of `c` as balances and ratios compare it, in VND where it is money (value_cmp, tol_cmp):
    for figures in one currency this is the same comparison, both sides and the tolerance scaled by
    one rate; figures in two currencies need it. `converted`: it has a VND value; `unit_bit`: its
    unit, to tell whether the units were mixed. -#}
{% macro comparable(c) -%}
    coalesce({{ c }}.value_vnd_bn, {{ c }}.value) as value_cmp,
    {{ c }}.rounding_tolerance * coalesce({{ c }}.value_vnd_bn / nullif({{ c }}.value, 0), 1.0) as tol_cmp,
    {{ c }}.value_vnd_bn is not null as converted,
    case {{ c }}.unit when 'VND_bn' then 1 when 'USD_mn' then 2 else 4 end as unit_bit
{%- endmacro %}

{#- The version a broken relation was found in, from its figures `f` (grouped by relation and report):
    the keys each row of a rule model is written by. -#}
{% macro version_of(f) -%}
    min({{ f }}.reporter_id) as reporter_id,
    min({{ f }}.period_year) as period_year,
    min({{ f }}.submission_id) as submission_id,
    min({{ f }}.n_revisions) as n_revisions
{%- endmacro %}

{#- A row for each version checked, whatever it found (figures_to_check): its keys, then null in each of
    the model's other columns, of these SQL `types`. -#}
{% macro versions_checked(types) -%}
    select reporter_id, period_year, submission_id, n_revisions
        {%- for type in types %}, cast(null as {{ type }}){% endfor %}
    -- a version is one reporter's report of one period: grouped on its id alone, which is several
    -- times faster than a distinct of the four columns
    from (select submission_id, min(reporter_id) as reporter_id, min(period_year) as period_year,
                 min(n_revisions) as n_revisions
          from checked group by submission_id) as versions
{%- endmacro %}

{#- A figure of `c` in billion VND where it is money, null where its year has no rate (it is not
    compared then); any other figure as it is. -#}
{% macro value_in_vnd(c) -%}
    case when {{ c }}.unit = 'VND_bn' or {{ c }}.unit = 'USD_mn' then {{ c }}.value_vnd_bn else {{ c }}.value end
{%- endmacro %}

{#- The codes of the indicators whose figures add up (dbt_project.yml's var `additive`): zones to their
    province, predecessors to a 2025 province. -#}
{% macro additive_indicators() -%}
    select code from {{ ref('indicators') }}
    where kind in ({% for kind in var('additive')['kinds'] %}'{{ kind }}'{{ ", " if not loop.last }}{% endfor %})
        and unit_family in ({% for family in var('additive')['unit_families'] %}'{{ family }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}
