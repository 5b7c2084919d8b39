-- Provinces of both vintages: (gso_code, vintage) is the key, since codes were reused in 2025.
select
    {{ dbt.concat(["cast(p.vintage as " ~ dbt.type_string() ~ ")", "'-'", "p.gso_code"]) }} as province_key,
    p.gso_code,
    p.vintage,
    p.name_vi,
    p.name_en,
    coalesce(p.region, host.region) as region,
    p.valid_from,
    p.valid_to,
    {{ province_2025_code('p.vintage', 'p.gso_code', 's.to_gso_code') }} as successor_2025_code
from {{ ref('provinces') }} as p
left join {{ ref('province_succession') }} as s
    on p.vintage = s.from_vintage and p.gso_code = s.from_gso_code
-- A 2025 province takes the region of the 2008 province whose code it kept.
left join {{ ref('provinces') }} as host
    on p.vintage = 2025 and host.vintage = 2008 and host.gso_code = p.gso_code
