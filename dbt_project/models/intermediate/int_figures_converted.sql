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
    {{ money_in('VND_bn', 'f.value', 'f.unit', 'fx.vnd_per_usd') }} as value_vnd_bn,
    {{ money_in('USD_mn', 'f.value', 'f.unit', 'fx.vnd_per_usd') }} as value_usd_mn
from current_figures as f
left join fx
    on f.period_year = fx.year
