-- Exchange rates users supplied (ZONESTAT_HOME/rates), one row per year of each rates file received.
select
    file_id,
    file_name,
    received_at,
    cast(year as integer) as year,
    vnd_per_usd,
    basis,
    source
from {{ source('landing', 'fx_rates') }}
