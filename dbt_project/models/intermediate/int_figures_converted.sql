{{ config(**reporter_year_config()) }}
-- The current version of each figure, with money in both currencies at the year's average
-- rate. A year without a rate gives NULL (and fx_rate_missing), never zero.
with current_figures as (
    select current_version.*
    from {{ ref('int_figures_revisions') }} as current_version
    {{ only_changed_reporter_years('current_version', ref('int_figures_revisions'), 'is_current') }}
    where current_version.is_current
),

fx as (
    select year, vnd_per_usd from {{ ref('dim_exchange_rate') }}
)

select
    f.*,
    fx.vnd_per_usd as fx_vnd_per_usd,
    f.unit in ('VND_bn', 'USD_mn') and fx.vnd_per_usd is null as fx_rate_missing,
    case
        when f.unit = 'VND_bn' then f.value
        when f.unit = 'USD_mn' then f.value * fx.vnd_per_usd / 1000.0
    end as value_vnd_bn,
    case
        when f.unit = 'USD_mn' then f.value
        when f.unit = 'VND_bn' then f.value * 1000.0 / fx.vnd_per_usd
    end as value_usd_mn
from current_figures as f
left join fx
    on f.period_year = fx.year
