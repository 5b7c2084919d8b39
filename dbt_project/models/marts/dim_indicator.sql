select
    code as indicator_code,
    domain,
    name_vi,
    name_en,
    kind,
    unit_family,
    typical_units,
    breakdowns,
    relations
from {{ ref('indicators') }}
