-- Every accepted version of every report, numbered per (reporter, period): a later status
-- (chinh_thuc > so_bo > uoc) supersedes an earlier one; within a status the later date prepared
-- (ngay_lap; a version without one counts as earliest), then the later arrival. The content hash
-- orders only versions equal in all three, and `is_unordered` says so (a finding names the one kept).
with accepted as (
    select * from {{ ref('stg_landing__submissions') }}
    where outcome = 'accepted'
)

select
    accepted.*,
    row_number() over (
        partition by reporter_id, period_key
        order by status_rank, prepared_on nulls first, received_at, submission_id
    ) as revision_number,
    count(*) over (partition by reporter_id, period_key) as n_revisions,
    count(*) over (
        partition by reporter_id, period_key, status_rank, prepared_on, received_at
    ) > 1 as is_unordered
from accepted
