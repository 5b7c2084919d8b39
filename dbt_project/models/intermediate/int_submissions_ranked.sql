-- Every accepted version of every report, numbered per (reporter, period): a later status
-- (chinh_thuc > so_bo > uoc) or, at equal status, a later receipt supersedes an earlier one.
with accepted as (
    select * from {{ ref('stg_landing__submissions') }}
    where outcome = 'accepted'
)

select
    accepted.*,
    row_number() over (
        partition by reporter_id, period_key
        order by status_rank, received_at, submission_id
    ) as revision_number,
    count(*) over (partition by reporter_id, period_key) as n_revisions
from accepted
