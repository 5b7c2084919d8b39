-- Bloc membership by province and years of validity (a member belongs to its bloc while its
-- province exists in that vintage), with the 2025 successor for series under today's boundaries.
-- The blocs' member lists name the 63 provinces; a province of the 34 (from July 2025) is a member
-- where the succession makes it one without doubt: every province it was formed from belonged
-- to that one bloc. Where they belonged to different blocs, or some to none, it is a member of
-- none, and the quality engine says so (reference.bloc_membership_2025).
with stated as (
    select bloc_code, member_gso_code, member_vintage, confidence, source from {{ ref('blocs') }}
),

predecessor_blocs as (
    select
        s.to_gso_code,
        s.to_vintage,
        count(*) as n_predecessors,
        count(b.bloc_code) as n_in_a_bloc,
        count(distinct b.bloc_code) as n_blocs,
        min(b.bloc_code) as bloc_code,
        min(b.confidence) as confidence,
        {{ dbt.listagg("s.from_gso_code", "', '", "order by s.from_gso_code") }} as predecessors
    from {{ ref('province_succession') }} as s
    left join stated as b
        on b.member_vintage = s.from_vintage and b.member_gso_code = s.from_gso_code
    group by s.to_gso_code, s.to_vintage
),

derived as (
    select
        bloc_code,
        to_gso_code as member_gso_code,
        to_vintage as member_vintage,
        confidence,
        {{ dbt.concat(["'derived from the 2025 succession of '", "predecessors"]) }} as source
    from predecessor_blocs
    where n_blocs = 1 and n_in_a_bloc = n_predecessors
),

members as (
    select * from stated
    union all
    select * from derived
)

select
    {{ dbt.concat(["b.bloc_code", "'|'", "cast(b.member_vintage as " ~ dbt.type_string() ~ ")", "'-'",
                   "b.member_gso_code"]) }} as bloc_member_key,
    b.bloc_code,
    b.member_gso_code,
    b.member_vintage,
    {{ dbt.concat(["cast(b.member_vintage as " ~ dbt.type_string() ~ ")", "'-'", "b.member_gso_code"]) }}
        as province_key,
    {{ province_2025_code('b.member_vintage', 'b.member_gso_code', 's.to_gso_code') }} as member_successor_2025_code,
    cast({{ dbt.date_trunc("year", "p.valid_from") }} as date) as valid_from,
    p.valid_to,
    extract(year from p.valid_from) as valid_from_year,
    extract(year from coalesce(p.valid_to, cast('2099-12-31' as date))) as valid_to_year,
    b.confidence,
    b.source
from members as b
left join {{ ref('province_succession') }} as s
    on b.member_vintage = s.from_vintage and b.member_gso_code = s.from_gso_code
inner join {{ ref('provinces') }} as p
    on b.member_vintage = p.vintage and b.member_gso_code = p.gso_code
