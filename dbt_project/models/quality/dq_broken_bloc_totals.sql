{{ config(materialized='table') }}
{#- The figures an emulation bloc's head board printed that are not the sum of its members' figures
    within the rounding tolerance and the rule's relative tolerance (the catalogue's bloc hierarchy
    rule, source quality.dq_rules), and those it printed while members of the period have not
    reported (rate_missing, naming them). A bloc's total depends on every member's report, so the
    model is a table built again at every build, from agg_bloc (few rows). -#}
with rules as (
    select rule_id, relative from {{ source('quality', 'dq_rules') }} where model = 'dq_broken_bloc_totals'
),

figures as not materialized (
    {{ rule_figures("zone_key, period_key, indicator_code, breakdown, figure_hash, rounding_tolerance") }}
),

reported as (
    -- the aggregates blocs printed (few), each with the members it should cover
    select b.bloc_figure_key, b.period_key, b.indicator_code, b.breakdown, m.member_gso_code, p.name_vi,
        'province:' || cast(m.member_vintage as varchar) || ':' || m.member_gso_code as member_id
    from {{ ref('agg_bloc') }} as b
    inner join {{ ref('dim_period') }} as d on b.period_key = d.period_key
    inner join {{ ref('dim_bloc_member') }} as m on b.bloc_code = m.bloc_code and d.province_vintage = m.member_vintage
    inner join {{ ref('dim_province') }} as p on m.province_key = p.province_key
    where b.reported_value is not null
),

missing as (
    select r.bloc_figure_key, string_agg(r.name_vi, ', ' order by r.name_vi) as missing_members,
        count(*) as n_missing
    from reported as r
    where not exists (
        select 1 from figures as f
        where f.reporter_id = r.member_id and f.zone_key = '' and f.period_key = r.period_key
            and f.indicator_code = r.indicator_code and f.breakdown = r.breakdown
    )
    group by r.bloc_figure_key
)

select
    c.reporter_id,
    c.period_year,
    c.submission_id,
    c.n_revisions,
    r.rule_id,
    -- the bloc's figure (its figure_hash)
    array[c.figure_hash] as cells,
    b.members_value as expected,
    b.reported_value as found,
    b.reported_value - b.members_value as imbalance,
    c.rounding_tolerance + r.relative * abs(b.reported_value) as tolerance,
    coalesce(m.n_missing, 0) > 0 as rate_missing,
    m.missing_members,
    coalesce(m.n_missing, 0) as n_missing,
    b.n_members_known
from {{ ref('agg_bloc') }} as b
inner join figures as c
    on b.submission_id = c.submission_id and b.indicator_code = c.indicator_code
    and b.breakdown = c.breakdown and c.zone_key = ''
left join missing as m on b.bloc_figure_key = m.bloc_figure_key
cross join rules as r
where b.reported_value is not null and (coalesce(m.n_missing, 0) > 0 or b.members_value is null
    or abs(b.reported_value - b.members_value) > c.rounding_tolerance + r.relative * abs(b.reported_value))
