{{ config(**reporter_year_config()) }}
-- The full revision history: every figure of every accepted version, with its reporter and period.
select
    s.reporter_id,
    s.reporter_kind,
    s.reporter_code,
    s.reporter_vintage,
    f.zone_key,
    f.zone_name,
    f.zone_kind,
    s.period_key,
    s.period_year,
    s.period_month,
    f.indicator_code,
    f.breakdown,
    f.value,
    f.unit,
    f.value_as_typed,
    f.unit_as_typed,
    f.rounding_tolerance,
    f.text_as_typed,
    f.growth_pct_claimed,
    f.share_pct_claimed,
    f.growth_tolerance,
    f.share_tolerance,
    {%- for column in figures_carried_as_landed() %}
    f.{{ column }},
    {%- endfor %}
    s.status,
    s.revision_number,
    s.n_revisions,
    s.is_current,
    s.is_withdrawn,
    s.received_at,
    f.submission_id,
    f.source_sheet,
    f.source_cell
{%- if is_incremental() %}
-- Only the landing files of the reporter-years being rebuilt (macros/landing_files.sql).
{%- set in_scope -%}
    select s.submission_id from {{ ref('int_submissions_ranked') }} as s
    {{ only_changed_reporter_years('s', ref('int_submissions_ranked')) }}
{%- endset %}
from ({{ landing_figures(landing_files('figures', in_scope)) }}) as f
{%- else %}
from {{ ref('stg_landing__figures') }} as f
{%- endif %}
inner join {{ ref('int_submissions_ranked') }} as s
    on f.submission_id = s.submission_id
{{ only_changed_reporter_years('s', ref('int_submissions_ranked')) }}
