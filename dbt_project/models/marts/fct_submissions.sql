-- Every received file and what became of it: the ledger with revision numbers. Rejected files
-- stay here (and in quarantine) with their findings: nothing received is ever dropped.
select
    s.submission_id,
    s.file_name,
    s.file_kind,
    s.received_at,
    s.size_bytes,
    s.archive_path,
    s.outcome,
    s.reporter_id,
    s.reporter_kind,
    s.reporter_code,
    s.reporter_vintage,
    s.reporter_name,
    s.period_key,
    s.period_text,
    s.status,
    s.prepared_on,
    s.n_figures,
    s.n_errors,
    s.n_warnings,
    r.revision_number,
    r.n_revisions,
    coalesce(r.is_current, false) as is_current,
    coalesce(r.is_withdrawn, false) as is_withdrawn,
    r.withdrawn_at,
    r.withdrawal_reason
from {{ ref('stg_landing__submissions') }} as s
left join {{ ref('int_submissions_ranked') }} as r
    on s.submission_id = r.submission_id
