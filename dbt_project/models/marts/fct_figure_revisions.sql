{{ config(**reporter_year_config()) }}
-- Every version of every figure: the history behind the current facts.
select
    {{ dbt.concat(["r.submission_id", "'|'", "r.source_cell"]) }} as figure_version_key,
    r.reporter_id,
    r.zone_key,
    r.period_key,
    r.period_year,
    r.indicator_code,
    r.breakdown,
    r.value,
    r.unit,
    r.text_as_typed,
    {%- for column in figures_carried_as_landed() %}
    r.{{ column }},
    {%- endfor %}
    r.status,
    r.revision_number,
    r.n_revisions,
    r.is_current,
    r.is_withdrawn,
    r.received_at,
    r.submission_id,
    r.source_sheet,
    r.source_cell
from {{ ref('int_figures_revisions') }} as r
{{ only_changed_reporter_years('r', ref('int_figures_revisions')) }}
