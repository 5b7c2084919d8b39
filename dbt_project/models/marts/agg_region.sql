-- Per socio-economic region (a 2025 province takes the region of the province whose code it kept).
select
    r.*,
    g.name_vi as region_name_vi,
    g.name_en as region_name_en
from ({{ rollup(['region']) }}) as r
left join {{ ref('regions') }} as g
    on r.region = g.code
