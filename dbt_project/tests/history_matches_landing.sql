-- The revision history is built incrementally (macros/incremental_scope.sql), so it must be
-- checked against the landing it came from: every landed figure belongs to an accepted ledger
-- entry and is in the history, and every submission in the history still has its landed
-- figures. Landing is immutable; a difference means lost or foreign files. Blocks publishing.
with landed as (
    select distinct submission_id from {{ ref('stg_landing__figures') }}
),

built as (
    select distinct submission_id from {{ ref('int_figures_revisions') }}
)

select
    coalesce(landed.submission_id, built.submission_id) as submission_id,
    case
        when landed.submission_id is null then 'in the history but its landed figures are gone'
        else 'landed but not in the history (no accepted ledger entry, or not built)'
    end as problem
from landed
full outer join built
    on landed.submission_id = built.submission_id
where landed.submission_id is null or built.submission_id is null
