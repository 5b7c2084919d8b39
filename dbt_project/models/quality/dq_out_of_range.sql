{{ config(**reporter_year_config()) }}
{#- Figures outside the range their rule gives (source quality.dq_rules: the rule's indicator,
    low and high): a plausibility rule's figure outside it, and a magnitude rule's figure per unit
    (its numerator per its denominator, the terms of source quality.dq_rule_terms) about 1000
    times outside it, which is a slip of a thousands separator or of the unit. Money per unit is
    in billion VND: converted where the year has a rate, at the rule's rough rate where it has none.
    Built and rendered as dq_broken_sums is (see there), with a row per current version checked. -#}
with rules as (
    select rule_id, kind, indicator_code, low, high, rough_vnd_per_usd from {{ source('quality', 'dq_rules') }}
    where model = 'dq_out_of_range'
),

pairs as (
    -- each magnitude relation as one row: its numerator's (position 0) and denominator's (1) figure
    select t.relation_id, t.rule_id,
        max(t.indicator_code) filter (where t.position = 0) as num_indicator,
        max(t.breakdown) filter (where t.position = 0) as num_breakdown,
        max(t.indicator_code) filter (where t.position = 1) as den_indicator,
        max(t.breakdown) filter (where t.position = 1) as den_breakdown
    from {{ source('quality', 'dq_rule_terms') }} as t
    where t.comparison = 'range'
    group by t.relation_id, t.rule_id
),

checked as not materialized (
    {{ figures_to_check("report_key, figure_hash, indicator_code, breakdown, value, unit, value_vnd_bn") }}
),

per_unit as (
    -- the numerator per the denominator of the same report, joined on the facts' own columns, which
    -- both engines plan a hash join for
    select n.reporter_id, n.period_year, n.submission_id, n.n_revisions, n.report_key, t.rule_id, n.figure_hash,
        n.value, d.figure_hash as den_hash,
        coalesce(n.value_vnd_bn, case when n.unit = 'USD_mn' then n.value * r.rough_vnd_per_usd / 1000 else n.value end)
            / nullif(d.value, 0) as per_unit,
        r.low, r.high
    from pairs as t
    inner join checked as n on n.indicator_code = t.num_indicator and n.breakdown = t.num_breakdown
    inner join checked as d
        on d.indicator_code = t.den_indicator and d.breakdown = t.den_breakdown and d.report_key = n.report_key
    inner join rules as r on r.rule_id = t.rule_id
),

out_of_range as (
    -- a figure per unit about 1000 times outside its range
    select reporter_id, period_year, submission_id, n_revisions, rule_id, report_key, figure_hash, den_hash,
        value, per_unit as found, low, high
    from per_unit
    where (per_unit > high and per_unit / 1000 between low and high)
        or (per_unit < low and per_unit > 0 and per_unit * 1000 between low and high)
    union all
    -- a plausibility rule's figure outside its range
    select c.reporter_id, c.period_year, c.submission_id, c.n_revisions, r.rule_id, c.report_key, c.figure_hash,
        cast(null as bigint), c.value, c.value, r.low, r.high
    from checked as c
    inner join rules as r on r.kind = 'plausibility' and c.indicator_code = r.indicator_code
    where c.value < r.low or c.value > r.high
)

select reporter_id, period_year, submission_id, n_revisions, rule_id, report_key,
    array[figure_hash] as cells,
    -- the denominator, shown beside a figure per unit
    case when den_hash is not null then array[den_hash] end as context,
    value as cell_value, expected, found, found - expected as imbalance, 0.0 as tolerance, false as rate_missing,
    low, high
from (select *, case when found > high then high else low end as expected from out_of_range) as nearer_end

union all

{{ versions_checked(['varchar', 'bigint', 'bigint[]', 'bigint[]', 'double precision', 'double precision',
                     'double precision', 'double precision', 'double precision', 'boolean', 'double precision',
                     'double precision']) }}
