-- The revision history is built incrementally (macros/incremental_scope.sql), so it must be
-- checked against the landing it came from: every landed figures file belongs to a submission
-- in the history, and every submission in the history still has its figures file. Landing is
-- immutable and a file is named by its submission id (an accepted submission has at least one
-- figure: the door rejects a file without any), so the file names are enough: listing 5,500
-- files costs a fraction of reading them. A difference means lost or foreign files. Blocks
-- publishing.
with landed as (
    {{ landing_ids('figures') }}
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
