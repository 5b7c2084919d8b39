{{ config(materialized='table') }}
{#- What the reference data lacks, as the catalogue's reference rules say (source quality.dq_rules,
    `about`), one finding each: a year whose money figures cannot be converted, as its exchange rate
    is not in fx_rates (about exchange_rates); a province of the 34 that belongs to no bloc although
    one of the provinces it was formed from did (about bloc_membership, dim_bloc_member deciding
    membership), naming those provinces and their blocs. These are about no report: a table built
    again at every build, whose findings name their own reporter, period and cell keys. -#}
with rules as (
    select rule_id, about from {{ source('quality', 'dq_rules') }} where model = 'dq_reference_gaps'
),

unclear as (
    select member_successor_2025_code as to_gso_code from {{ ref('dim_bloc_member') }} where member_vintage = 2008
    except
    select member_gso_code from {{ ref('dim_bloc_member') }} where member_vintage = 2025
),

predecessors as (
    select s.to_gso_code, s.to_vintage, s.from_gso_code, p.name_vi, m.bloc_code, t.name_vi as to_name
    from {{ ref('province_succession') }} as s
    inner join unclear as u on s.to_gso_code = u.to_gso_code
    inner join {{ ref('dim_province') }} as p on s.from_vintage = p.vintage and s.from_gso_code = p.gso_code
    inner join {{ ref('dim_province') }} as t on s.to_vintage = t.vintage and s.to_gso_code = t.gso_code
    left join {{ ref('dim_bloc_member') }} as m on s.from_vintage = m.member_vintage and s.from_gso_code = m.member_gso_code
),

without_rate as (
    {%- for domain in var('fact_domains') %}
    select period_year from {{ ref('fct_' ~ domain) }}
    where unit in ('VND_bn', 'USD_mn') and value_vnd_bn is null and value is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    r.rule_id,
    cast(null as varchar) as reporter_id,
    '' as zone_key,
    cast(f.period_year as varchar) as period_key,
    'fx:' || cast(f.period_year as varchar) as cell_keys,
    cast(count(*) as double precision) as found,
    0.0 as tolerance,
    false as rate_missing,
    cast(null as varchar) as reporter_name,
    cast(null as varchar) as predecessor_blocs
from without_rate as f
inner join rules as r on r.about = 'exchange_rates'
group by r.rule_id, f.period_year

union all

select
    r.rule_id,
    'province:' || cast(min(p.to_vintage) as varchar) || ':' || p.to_gso_code as reporter_id,
    '' as zone_key,
    cast(null as varchar) as period_key,
    'bloc_membership:' || p.to_gso_code as cell_keys,
    cast(null as double precision) as found,
    0.0 as tolerance,
    false as rate_missing,
    min(p.to_name) || ' (' || p.to_gso_code || ')' as reporter_name,
    string_agg(p.name_vi || ' (' || coalesce(p.bloc_code, '-') || ')', ', ' order by p.from_gso_code)
        as predecessor_blocs
from predecessors as p
inner join rules as r on r.about = 'bloc_membership'
group by r.rule_id, p.to_gso_code
