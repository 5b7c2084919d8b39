{{ config(**reporter_year_config()) }}
-- The zones each version of a report names, with the name and kind it gives them: a row per version,
-- zone and name (rarely more than one name) where int_figures_revisions has one per figure, so that
-- dim_zone, which reads every version, reads a few thousand rows instead of every zone figure.
select distinct
    r.reporter_id,
    r.period_year,
    r.submission_id,
    r.n_revisions,
    r.reporter_kind,
    r.period_key,
    r.zone_key,
    r.zone_name,
    r.zone_kind
from {{ ref('int_figures_revisions') }} as r
{{ only_changed_reporter_years('r', ref('int_figures_revisions'), "zone_key <> ''") }}
where r.zone_key <> ''
