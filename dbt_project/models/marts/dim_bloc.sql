-- Emulation blocs and their known members (several blocs are only partly known: see confidence).
select distinct
    bloc_code,
    bloc_name_vi,
    bloc_name_en
from {{ ref('blocs') }}
