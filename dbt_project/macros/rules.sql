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
    that the model has not checked yet, and of those whose rules compare them with these
    (`dependants`: incremental_scope.sql's changed_reporter_years_and_dependants). Each version
    checked has a row in the model, whatever it found, and the versions it checked that are no
    longer current go before the build (macros/incremental_scope.sql). -#}
{% macro figures_to_check(columns, dependants=none) -%}
    select c.*
    from ({{ rule_figures(columns) }}) as c
    {#- the versions are looked up among the submissions (one row each), not the facts -#}
    {{ only_changed_reporter_years('c', ref('int_submissions_ranked'), 'is_current', dependants) }}
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

{#- The version of each report of the checked figures whose report_key is among those of `found` (a
    relation): for a model that carries no text through its comparisons over every figure, only the
    report_key, and looks the versions up for the few reports with something found. -#}
{% macro versions_of_reports(found) -%}
    select report_key, min(reporter_id) as reporter_id, min(submission_id) as submission_id,
        min(n_revisions) as n_revisions
    from checked
    where report_key in (select report_key from {{ found }})
    group by report_key
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

{#- The figures among `figures` (a relation or a query's alias) that have a usual level, with their
    `season`: positive and not rates; a flow's season is its month (its usual level is that of the
    same month in the other years), any other figure has one. The magnitude rule against history
    compares a figure with the median of its series' season (dq_far_from_usual_level), and the
    suggestion search keeps a correction near it (quality.usual_level_sql). -#}
{% macro figures_by_season(figures) -%}
    select *, case when indicator_kind = 'flow' then period_month else 0 end as season
    from {{ figures }}
    where value > 0 and indicator_kind <> 'ratio'
{%- endmacro %}

{#- The codes of the indicators whose figures add up (dbt_project.yml's var `additive`): zones to their
    province, predecessors to a 2025 province. -#}
{% macro additive_indicators() -%}
    select code from {{ ref('indicators') }}
    where kind in ({% for kind in var('additive')['kinds'] %}'{{ kind }}'{{ ", " if not loop.last }}{% endfor %})
        and unit_family in ({% for family in var('additive')['unit_families'] %}'{{ family }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Every growth claim among the figures `claims` with last year's figure from `figures` (each SQL of
    the facts' columns; the claims also carry the columns `carried`): last_value, last_tol (its
    rounding tolerance) and last_cells (its figure_hash). Within one province vintage last year is the
    same reporter's figure (same series_key, twelve months earlier); across the 2025 merger it is the
    sum of the predecessors' figures (same series_2025_key, indicators that add up, every predecessor
    reporting), and a claim whose last year cannot be told has none. The growth rule's model compares
    the claims (dq_broken_growth_claims); the suggestion search holds a correction to them. -#}
{% macro claims_with_last_year(claims, figures, carried=[]) -%}
    {%- set claim_columns -%}
        c.figure_hash, c.value, c.rounding_tolerance, c.growth_pct_claimed, c.growth_tolerance, c.period_year,
        c.period_month{% for column in carried %}, c.{{ column }}{% endfor %}
    {%- endset -%}
    with predecessors as (
        select to_gso_code, to_vintage, count(*) as n
        from {{ ref('province_succession') }}
        group by to_gso_code, to_vintage
    ),

    claimed as materialized (
        select {{ claim_columns }}, c.series_key, c.series_2025_key, c.period_year * 12 + c.period_month as month_index,
            c.reporter_kind, c.reporter_vintage, c.zone_key, coalesce(p.n, 0) as n_predecessors,
            a.code is not null as additive
        from ({{ claims }}) as c
        left join predecessors as p
            on c.reporter_kind = 'province' and p.to_vintage = c.reporter_vintage and p.to_gso_code = c.reporter_code
        left join ({{ additive_indicators() }}) as a on c.indicator_code = a.code
        where c.growth_pct_claimed is not null
    ),

    last_year as not materialized (
        select figure_hash, series_key, series_2025_key, period_year * 12 + period_month as month_index, reporter_kind,
            reporter_vintage, value, rounding_tolerance
        from ({{ figures }}) as f
    ),

    merged as (
        -- across the 2025 merger: last year is the predecessor's figure, or the sum of the
        -- predecessors' figures when every one of them reported it and it adds up
        select c.figure_hash, sum(l.value) as value, sum(l.rounding_tolerance) as tol,
            array_agg(l.figure_hash order by l.figure_hash) as cells
        from claimed as c
        inner join last_year as l on l.series_2025_key = c.series_2025_key and l.month_index = c.month_index - 12
        where c.reporter_kind = 'province' and l.reporter_kind = 'province'
            -- claims of the 63 provinces (vintage 2008) have no predecessors: not joined at all
            and c.reporter_vintage > 2008 and l.reporter_vintage < c.reporter_vintage
            -- a zone is the same zone whoever reports it; an unchanged province is itself
            and (c.zone_key <> '' or c.additive or c.n_predecessors = 1)
        group by c.figure_hash
        having min(c.zone_key) <> '' or count(*) = min(c.n_predecessors)
    ),

    same_reporter as (
        -- the same reporter last year is one row per claim: joined directly, not grouped
        select c.*, s.value as s_value, s.rounding_tolerance as s_tol, s.figure_hash as s_hash
        from claimed as c
        left join (
            select series_key, month_index, value, rounding_tolerance, figure_hash from last_year
            where series_key in (select series_key from claimed)
        ) as s on s.series_key = c.series_key and s.month_index = c.month_index - 12
    )

    -- only the claims of vintage-2025 reporters can have predecessors: the others (most of them)
    -- skip the second join
    select {{ claim_columns }}, c.s_value as last_value, c.s_tol as last_tol,
        case when c.s_hash is not null then array[c.s_hash] end as last_cells
    from same_reporter as c
    where c.reporter_kind <> 'province' or c.reporter_vintage <= 2008
    union all
    select {{ claim_columns }}, coalesce(c.s_value, m.value) as last_value, coalesce(c.s_tol, m.tol) as last_tol,
        case when c.s_hash is not null then array[c.s_hash] else m.cells end as last_cells
    from same_reporter as c
    left join merged as m on m.figure_hash = c.figure_hash
    where c.reporter_kind = 'province' and c.reporter_vintage > 2008
        -- an average or a rate of several merged provinces is not the sum of theirs: such a claim
        -- has no last-year figure to compare with, and saying it is missing would be untrue
        and (c.zone_key <> '' or c.additive or c.n_predecessors <= 1 or c.s_value is not null)
{%- endmacro %}
