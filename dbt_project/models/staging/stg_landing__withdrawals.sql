-- Operators' withdrawals and restorations of submissions (zonestat withdraw / restore), one row per event.
select
    event_id,
    submission_id,
    action,
    reason,
    event_at,
    event_by
from {{ source('landing', 'withdrawals') }}
