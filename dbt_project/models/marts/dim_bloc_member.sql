-- Bloc membership by province, with the member's 2025 successor for series under today's boundaries.
select
    {{ dbt.concat(["b.bloc_code", "'|'", "cast(b.member_vintage as " ~ dbt.type_string() ~ ")", "'-'",
                   "b.member_gso_code"]) }} as bloc_member_key,
    b.bloc_code,
    b.member_gso_code,
    b.member_vintage,
    {{ dbt.concat(["cast(b.member_vintage as " ~ dbt.type_string() ~ ")", "'-'", "b.member_gso_code"]) }}
        as province_key,
    s.to_gso_code as member_successor_2025_code,
    b.confidence,
    b.source
from {{ ref('blocs') }} as b
left join {{ ref('province_succession') }} as s
    on b.member_vintage = s.from_vintage and b.member_gso_code = s.from_gso_code
