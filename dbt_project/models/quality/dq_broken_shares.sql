{{ config(**reporter_year_config()) }}
{#- Printed shares of a figure in its report's total (breakdown TONG of the same indicator and zone)
    that do not match the two figures within the printed precision: the catalogue's share rules
    (source quality.dq_rules). Money is compared in VND, so that a part in USD is a share of a
    total in VND; money without a VND value is not compared. Built and rendered as dq_broken_sums
    is (see there), with a row per current version checked. -#}
with rules as (
    select rule_id from {{ source('quality', 'dq_rules') }} where model = 'dq_broken_shares'
),

checked as not materialized (
    {{ figures_to_check("report_key, figure_hash, indicator_code, breakdown, value, unit, value_vnd_bn, "
                         "rounding_tolerance, share_pct_claimed, share_tolerance") }}
),

parts as (
    -- the figures with a printed share (few), and the totals they are shares of, in VND where money
    select c.*, {{ value_in_vnd('c') }} as value_cmp from checked as c where c.share_pct_claimed is not null
),

totals as (
    select c.*, {{ value_in_vnd('c') }} as value_cmp from checked as c where c.breakdown = 'TONG'
)

select
    c.reporter_id,
    c.period_year,
    c.submission_id,
    c.n_revisions,
    r.rule_id,
    c.report_key,
    -- the part, then the total (their figure_hash)
    array[c.figure_hash, t.figure_hash] as cells,
    100.0 * c.value_cmp / t.value_cmp as expected,
    c.share_pct_claimed as found,
    c.share_pct_claimed - 100.0 * c.value_cmp / t.value_cmp as imbalance,
    {{ percent_tolerance('c.share_tolerance', 'c.value', 'c.rounding_tolerance', 'nullif(t.value, 0)',
                         't.rounding_tolerance') }} as tolerance,
    false as rate_missing
from parts as c
inner join totals as t on c.report_key = t.report_key and c.indicator_code = t.indicator_code
cross join rules as r
where t.value <> 0
    and abs(c.share_pct_claimed - 100.0 * c.value_cmp / t.value_cmp) >
        {{ percent_tolerance('c.share_tolerance', 'c.value', 'c.rounding_tolerance', 'nullif(t.value, 0)',
                             't.rounding_tolerance') }} + 1e-9

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'double precision', 'double precision', 'double precision',
                     'double precision', 'boolean']) }}
