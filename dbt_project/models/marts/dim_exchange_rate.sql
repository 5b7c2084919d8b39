-- The VND/USD rate each year's money figures were converted at, and where it comes from.
select year, vnd_per_usd, basis, source from {{ ref('int_fx_rates') }}
