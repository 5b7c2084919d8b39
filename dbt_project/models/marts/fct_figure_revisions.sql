-- Every version of every figure: the history behind the current facts.
select
    {{ dbt.concat(["submission_id", "'|'", "source_cell"]) }} as figure_version_key,
    reporter_id,
    zone_key,
    period_key,
    indicator_code,
    breakdown,
    value,
    unit,
    text_as_typed,
    status,
    revision_number,
    n_revisions,
    is_current,
    received_at,
    submission_id,
    source_sheet,
    source_cell
from {{ ref('int_figures_revisions') }}
