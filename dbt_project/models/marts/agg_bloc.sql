-- Bloc figures as the bloc's head board reported them, side by side with the sum of its known
-- members' figures, and which members have not reported for the period.
with members as (
    select bloc_code, member_gso_code, member_vintage from {{ ref('dim_bloc_member') }}
),


member_figures as (
    select
        m.bloc_code,
        f.period_key,
        f.indicator_code,
        f.breakdown,
        f.unit,
        {{ figure_sum('f.value') }} as members_value,
        count(*) as n_members_reported
    from {{ ref('int_province_figures_additive') }} as f
    inner join members as m
        on f.reporter_code = m.member_gso_code and f.reporter_vintage = m.member_vintage
    group by m.bloc_code, f.period_key, f.indicator_code, f.breakdown, f.unit
),

bloc_reported as (
    select
        reporter_code as bloc_code,
        period_key,
        period_year,
        period_month,
        indicator_code,
        breakdown,
        unit,
        value as reported_value,
        submission_id,
        source_cell
    from {{ ref('int_figures_decumulated') }}
    where reporter_kind = 'bloc' and zone_key = ''
),

known as (
    -- the members of the period's province vintage: the 63 until June 2025, the 34 from July
    select bloc_code, member_vintage, count(*) as n_members_known from members group by bloc_code, member_vintage
)

select
    {{ dbt.concat(["coalesce(b.bloc_code, mf.bloc_code)", "'|'", "coalesce(b.period_key, mf.period_key)", "'|'",
                   "coalesce(b.indicator_code, mf.indicator_code)", "'|'", "coalesce(b.breakdown, mf.breakdown)",
                   "'|'", "coalesce(b.unit, mf.unit)"]) }} as bloc_figure_key,
    coalesce(b.bloc_code, mf.bloc_code) as bloc_code,
    coalesce(b.period_key, mf.period_key) as period_key,
    coalesce(b.indicator_code, mf.indicator_code) as indicator_code,
    coalesce(b.breakdown, mf.breakdown) as breakdown,
    coalesce(b.unit, mf.unit) as unit,
    b.reported_value,
    mf.members_value,
    coalesce(mf.n_members_reported, 0) as n_members_reported,
    k.n_members_known,
    b.submission_id,
    b.source_cell
from bloc_reported as b
full outer join member_figures as mf
    on b.bloc_code = mf.bloc_code
    and b.period_key = mf.period_key
    and b.indicator_code = mf.indicator_code
    and b.breakdown = mf.breakdown
    and b.unit = mf.unit
left join {{ ref('dim_period') }} as p
    on p.period_key = coalesce(b.period_key, mf.period_key)
left join known as k
    on k.bloc_code = coalesce(b.bloc_code, mf.bloc_code) and k.member_vintage = p.province_vintage
