-- Bloc membership by province and years of validity (a member belongs to its bloc while its
-- province exists in that vintage), with the 2025 successor for series under today's boundaries.
select
    {{ dbt.concat(["b.bloc_code", "'|'", "cast(b.member_vintage as " ~ dbt.type_string() ~ ")", "'-'",
                   "b.member_gso_code"]) }} as bloc_member_key,
    b.bloc_code,
    b.member_gso_code,
    b.member_vintage,
    {{ dbt.concat(["cast(b.member_vintage as " ~ dbt.type_string() ~ ")", "'-'", "b.member_gso_code"]) }}
        as province_key,
    s.to_gso_code as member_successor_2025_code,
    cast({{ dbt.date_trunc("year", "p.valid_from") }} as date) as valid_from,
    p.valid_to,
    extract(year from p.valid_from) as valid_from_year,
    extract(year from coalesce(p.valid_to, cast('2099-12-31' as date))) as valid_to_year,
    b.confidence,
    b.source
from {{ ref('blocs') }} as b
left join {{ ref('province_succession') }} as s
    on b.member_vintage = s.from_vintage and b.member_gso_code = s.from_gso_code
inner join {{ ref('provinces') }} as p
    on b.member_vintage = p.vintage and b.member_gso_code = p.gso_code
