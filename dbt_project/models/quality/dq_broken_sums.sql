{{ config(**reporter_year_config()) }}
{#- The balance and bound relations of each report that do not hold: sum(coef * value) = 0 (or
    <= 0) within the rounding tolerance, over the terms of the catalogue's relations
    (source quality.dq_rule_terms, which the refresh writes from expectations/catalogue.yaml).
    The quality engine explains these rows and searches their corrections (expectations/engine.py);
    `zonestat validate` runs this same file over a file's figures, rendered without dbt
    (expectations/quality.py's render_model).

    Built by reporter-year, as the facts are: each current version has a row of its own (rule_id
    null) besides its broken relations, so that a reporter-year checked with nothing broken is
    not checked again. -#}
with terms as (
    select relation_id, rule_id, comparison, n_terms, fx_relative, indicator_code, breakdown, coef, position
    from {{ source('quality', 'dq_rule_terms') }}
    where comparison in ('=', '<=')
),

checked as not materialized (
    {{ figures_to_check("report_key, figure_hash, indicator_code, breakdown, value, unit, value_vnd_bn, "
                         "rounding_tolerance") }}
),

grouped as (
    -- the pass over every relation of every report keeps four sums, in VND where the figure is
    -- money: for parts in one currency this is the same comparison (both sides and the tolerance
    -- scale by the same rate), and parts in two currencies need it anyway. `units` counts the terms
    -- and, among them, those in VND, those in USD and those without a VND value, in one integer
    -- (8 bits each) rather than three more aggregates
    select t.relation_id, c.report_key, cast(sum(c.units) as bigint) as units,
        sum(t.coef * c.value_cmp) as imbalance,
        sum(c.tol_cmp) as tol, sum(c.value_cmp) filter (where t.coef > 0) as lhs
    from (
        select c.report_key, c.indicator_code, c.breakdown, {{ comparable('c') }},
            1 + case c.unit when 'VND_bn' then 256 when 'USD_mn' then 65536 else 0 end
                + case when c.value_vnd_bn is null then 16777216 else 0 end as units
        from checked as c
    ) as c
    inner join terms as t on c.indicator_code = t.indicator_code and c.breakdown = t.breakdown
    group by t.relation_id, c.report_key
),

compared as (
    select g.relation_id, g.report_key, g.imbalance, g.lhs, g.mixed, i.rule_id, i.comparison,
        g.tol + case when g.mixed then i.fx_relative * greatest(abs(g.lhs), abs(g.lhs - g.imbalance)) else 0 end
            as tolerance,
        -- two currencies compared, and a figure without a VND value
        g.mixed and g.units >> 24 > 0 as rate_missing
    from (
        select *, cast((units >> 8) & 255 > 0 as integer) + cast((units >> 16) & 255 > 0 as integer)
            + cast((units & 255) - ((units >> 8) & 255) - ((units >> 16) & 255) > 0 as integer) > 1 as mixed
        from grouped
    ) as g
    inner join (select distinct relation_id, rule_id, comparison, n_terms, fx_relative from terms) as i
        on g.relation_id = i.relation_id
    where g.units & 255 = i.n_terms
),

broken as materialized (
    select * from compared
    where rate_missing
        or (comparison = '=' and abs(imbalance) > tolerance + 1e-9 * greatest(abs(lhs), abs(lhs - imbalance)))
        or (comparison = '<=' and imbalance > tolerance + 1e-9 * greatest(abs(lhs), abs(lhs - imbalance)))
),

joined as (
    -- the few broken relations' figures, found again in their reports
    select b.relation_id, b.report_key, t.coef, t.position, c.figure_hash, c.value, c.rounding_tolerance,
        c.reporter_id, c.period_year, c.submission_id, c.n_revisions
    from (select * from checked where report_key in (select report_key from broken)) as c
    inner join terms as t on c.indicator_code = t.indicator_code and c.breakdown = t.breakdown
    inner join broken as b on b.report_key = c.report_key and b.relation_id = t.relation_id
)

select
    {{ version_of('j') }},
    min(b.rule_id) as rule_id,
    j.relation_id,
    j.report_key,
    -- the relation's cells (their figure_hash) in the order the rule names them
    array_agg(j.figure_hash order by j.position) as cells,
    -- in the figures' own unit when they share one, in VND when money in two currencies is compared
    case when bool_or(b.mixed) then min(b.lhs - b.imbalance)
         else sum(j.value) filter (where j.coef < 0) end as expected,
    case when bool_or(b.mixed) then min(b.lhs) else sum(j.value) filter (where j.coef > 0) end as found,
    case when bool_or(b.mixed) then min(b.imbalance) else sum(j.coef * j.value) end as imbalance,
    case when bool_or(b.mixed) then min(b.tolerance) else sum(j.rounding_tolerance) end as tolerance,
    bool_or(b.rate_missing) as rate_missing
from joined as j
inner join broken as b on j.relation_id = b.relation_id and j.report_key = b.report_key
group by j.relation_id, j.report_key

union all

{{ versions_checked(['varchar', 'integer', 'bigint', 'bigint[]', 'double precision', 'double precision',
                     'double precision', 'double precision', 'boolean']) }}
