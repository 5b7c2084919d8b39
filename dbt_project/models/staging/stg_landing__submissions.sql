-- The ledger, typed. status_rank orders superseding versions: official over preliminary over estimate
-- (var report_statuses, in rising order).
-- Ledger files never change once landed: an incremental build appends the files it has not seen.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
select
    submission_id,
    file_name,
    file_kind,
    received_at,
    size_bytes,
    archive_path,
    outcome,
    n_figures,
    n_errors,
    n_warnings,
    reporter_id,
    reporter_kind,
    reporter_code,
    cast(reporter_vintage as integer) as reporter_vintage,
    reporter_name,
    period as period_key,
    period_text,
    cast(period_year as integer) as period_year,
    cast(period_month as integer) as period_month,
    period_is_whole_year,
    status,
    case status{% for status in var('report_statuses') %} when '{{ status }}' then {{ loop.index }}{% endfor %} end as status_rank,
    prepared_on,
    preparer,
    board
{%- if is_incremental() %}
from {{ landing_files('submissions', landing_ids('submissions') ~ ' except select submission_id from ' ~ this) }}
{%- else %}
from {{ source('landing', 'submissions') }}
{%- endif %}
