-- Every accepted version of every report, numbered per (reporter, period): a later status
-- (chinh_thuc > so_bo > uoc) supersedes an earlier one; within a status the later date prepared
-- (ngay_lap; a version without one counts as earliest), then the later arrival. The content hash
-- orders only versions equal in all three, and `is_unordered` says so (a finding names the one kept).
-- A version an operator withdrew (zonestat withdraw) stays here with its withdrawal, but is not
-- numbered: it is never current, and taking it out or putting it back changes n_revisions of the
-- others, which is what makes the incremental build rewrite the reporter-year.
with accepted as (
    select * from {{ ref('stg_landing__submissions') }}
    where outcome = 'accepted'
),

latest_event as (
    select
        submission_id,
        action,
        reason,
        event_at,
        row_number() over (partition by submission_id order by event_at desc, event_id desc) as recency
    from {{ ref('stg_landing__withdrawals') }}
),

versions as (
    select
        accepted.*,
        coalesce(e.action = 'withdraw', false) as is_withdrawn,
        case when e.action = 'withdraw' then e.event_at end as withdrawn_at,
        case when e.action = 'withdraw' then e.reason end as withdrawal_reason
    from accepted
    left join latest_event as e
        on accepted.submission_id = e.submission_id and e.recency = 1
),

numbered as (
    select
        versions.*,
        case when not is_withdrawn then row_number() over (
            partition by reporter_id, period_key, is_withdrawn
            order by status_rank, prepared_on nulls first, received_at, submission_id
        ) end as revision_number,
        case when not is_withdrawn then count(*) over (partition by reporter_id, period_key, is_withdrawn) end
            as n_revisions,
        not is_withdrawn and count(*) over (
            partition by reporter_id, period_key, is_withdrawn, status_rank, prepared_on, received_at
        ) > 1 as is_unordered
    from versions
)

-- the current version of a report: the highest number (a withdrawn version has none)
select *, coalesce(revision_number = n_revisions, false) as is_current
from numbered
