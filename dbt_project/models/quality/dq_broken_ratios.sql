{{ config(**reporter_year_config()) }}
{#- Printed rates against their numerator and denominator (the catalogue's ratio rules, source
    quality.dq_rule_terms: the rate, the numerator and the denominator at positions 0 to 2, and the
    other base a report may have taken instead at 3) that do not hold within the printed precision.
    Compared in VND where the figures are money, as balances are: a ratio of two figures in one
    currency is the same in VND, and figures in two currencies need the conversion. Built and
    rendered as dq_broken_sums is (see there), with a row per current version checked. -#}
with terms as (
    select relation_id, rule_id, indicator_code, breakdown, position,
        case position when 0 then 'rate' when 1 then 'num' when 2 then 'den' else 'other' end as role
    from {{ source('quality', 'dq_rule_terms') }}
    where comparison = 'ratio'
),

checked as not materialized (
    {{ figures_to_check("report_key, figure_hash, indicator_code, breakdown, value, unit, value_vnd_bn, "
                         "rounding_tolerance") }}
),

joined as materialized (
    select t.relation_id, t.rule_id, t.role, t.position, c.report_key, c.figure_hash, c.value, c.rounding_tolerance,
        c.reporter_id, c.period_year, c.submission_id, c.n_revisions, {{ comparable('c') }}
    from checked as c
    inner join terms as t on c.indicator_code = t.indicator_code and c.breakdown = t.breakdown
),

pivoted as (
    select relation_id, rule_id, report_key, count(*) filter (where role <> 'other') as n,
        max(value) filter (where role = 'rate') as rate,
        max(rounding_tolerance) filter (where role = 'rate') as rate_tol,
        max(value_cmp) filter (where role = 'num') as n_cmp, max(value_cmp) filter (where role = 'den') as d_cmp,
        max(tol_cmp) filter (where role = 'num') as n_tol, max(tol_cmp) filter (where role = 'den') as d_tol,
        max(value_cmp) filter (where role = 'other') as o_cmp, max(tol_cmp) filter (where role = 'other') as o_tol,
        max(figure_hash) filter (where role = 'other') as o_hash,
        bit_or(unit_bit) filter (where role in ('num', 'den')) not in (1, 2, 4)
            and count(*) filter (where role in ('num', 'den') and converted) < 2 as rate_missing
    from joined
    group by relation_id, rule_id, report_key
),

broken as (
    -- with the rate as the other base gives it, and whether the printed one matches that (a base of
    -- 0 gives no rate: nullif, as PostgreSQL raises on a division by zero wherever it evaluates one)
    select *, 100.0 * n_cmp / nullif(o_cmp, 0) as other_rate,
        {{ percent_tolerance('rate_tol', 'n_cmp', 'n_tol', 'nullif(d_cmp, 0)', 'd_tol') }} as tolerance,
        coalesce(not rate_missing and abs(rate - 100.0 * n_cmp / nullif(o_cmp, 0)) <=
            {{ percent_tolerance('rate_tol', 'n_cmp', 'n_tol', 'nullif(o_cmp, 0)', 'o_tol') }} + 1e-9, false)
            as other_rate_holds
    from pivoted
    where n = 3 and (rate_missing or (d_cmp <> 0 and abs(rate - 100.0 * n_cmp / nullif(d_cmp, 0)) >
        {{ percent_tolerance('rate_tol', 'n_cmp', 'n_tol', 'nullif(d_cmp, 0)', 'd_tol') }} + 1e-9))
)

select
    {{ version_of('j') }},
    b.rule_id,
    b.relation_id,
    b.report_key,
    -- the rate, the numerator and the denominator (their figure_hash)
    array_agg(j.figure_hash order by j.position) filter (where j.role <> 'other') as cells,
    -- the other base, shown beside them when the printed rate is its
    min(case when b.other_rate_holds then array[b.o_hash] end) as context,
    min(b.other_rate) as other_rate,
    bool_or(b.other_rate_holds) as other_rate_holds,
    min(case when not b.rate_missing then 100.0 * b.n_cmp / b.d_cmp end) as expected,
    min(b.rate) as found,
    min(case when not b.rate_missing then b.rate - 100.0 * b.n_cmp / b.d_cmp end) as imbalance,
    min(b.tolerance) as tolerance,
    bool_or(b.rate_missing) as rate_missing
from broken as b
inner join joined as j on j.relation_id = b.relation_id and j.report_key = b.report_key
group by b.rule_id, b.relation_id, b.report_key

union all

{{ versions_checked(['varchar', 'integer', 'bigint', 'bigint[]', 'bigint[]', 'double precision', 'boolean',
                     'double precision', 'double precision', 'double precision', 'double precision', 'boolean']) }}
