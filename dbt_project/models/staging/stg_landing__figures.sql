-- Figures as landed: canonical units already, one row per figure of a submission version.
select
    submission_id,
    source_sheet,
    source_cell,
    cast(source_row as integer) as source_row,
    indicator as indicator_code,
    indicator_label,
    zone_name,
    zone_key,
    zone_kind,
    breakdown,
    value,
    unit,
    value_as_typed,
    unit_as_typed,
    rounding_tolerance,
    text_as_typed,
    growth_pct as growth_pct_claimed,
    share_pct as share_pct_claimed,
    growth_tolerance,
    share_tolerance,
    note
from {{ source('landing', 'figures') }}
