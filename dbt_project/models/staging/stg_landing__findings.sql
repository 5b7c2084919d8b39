-- Findings of the door checks (GX suites) on each received file.
select
    submission_id,
    file_name,
    rule as rule_id,
    severity,
    sheet,
    cell,
    message,
    message_vi,
    expected,
    found
from {{ source('landing', 'findings') }}
