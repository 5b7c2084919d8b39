-- The VND/USD rate each year's money figures are converted at, and where it comes from: the most
-- recently received rates file that names the year, else the reference seed.
with supplied as (
    select
        year,
        vnd_per_usd,
        basis,
        source,
        row_number() over (partition by year order by received_at desc, file_id) as newest
    from {{ ref('stg_landing__fx_rates') }}
),

reference as (
    select year, vnd_per_usd, basis, source from {{ ref('fx_rates') }}
)

select year, vnd_per_usd, basis, source from supplied where newest = 1
union all
select r.year, r.vnd_per_usd, r.basis, r.source
from reference as r
where not exists (select 1 from supplied as s where s.year = r.year)
