{#- Incremental builds rebuild whole reporter-years.

    Everything derived from a report depends only on the versions of that reporter's reports of
    the same year: which version is current (the revision ranking is per reporter and period),
    the monthly flows (year-to-date differences within the year) and the year's exchange rate.
    So a model that is built incrementally deletes and rewrites the reporter-years whose set of
    versions differs between its upstream and itself: a new version, a superseding one, or a
    late lower-status one (which changes n_revisions). The comparison is against the model's own
    rows, so a build that failed half-way is caught up by the next one, and `dbt build` by hand
    does the same. Code or reference-data changes need `dbt build --full-refresh`; zonestat's
    refresh does that by itself when the code's fingerprint changes (orchestration/fingerprint.py).

    A reporter-year's versions can only be added to, never removed: the ledger keeps every version.
    (A new version may still leave a model fewer rows: see delete_superseded_reporter_years.) The
    one exception is an operator's withdrawal of a report's only version, which empties its rows;
    a withdrawal or restoration therefore makes the next refresh a full build (orchestration/fingerprint.py).
-#}

{% macro reporter_year_config() %}
    {%- set config = {"materialized": "incremental", "incremental_strategy": "delete+insert",
                      "unique_key": ["reporter_id", "period_year"], "on_schema_change": "fail",
                      "pre_hook": "{{ delete_superseded_reporter_years() }}"} -%}
    {%- if target.type == 'postgres' -%}
        {#- PostgreSQL finds a reporter-year's rows, and whether it has a version, by an index, where
            it would otherwise read the whole table (DuckDB scans its columns faster than it keeps
            an index up to date) -#}
        {%- do config.update({"indexes": [{"columns": ["reporter_id", "period_year", "submission_id", "n_revisions"]}]}) -%}
    {%- endif -%}
    {{ return(config) }}
{% endmacro %}

{#- The reporter-years with a version in `upstream` (its rows that match `where`, a condition on
    the upstream's columns) that the model does not have yet. Each accepted version is looked up
    (int_submissions_ranked has one row each) rather than the two tables compared row by row. -#}
{% macro changed_reporter_years(upstream, where="1 = 1") %}
    select distinct v.reporter_id, v.period_year
    from {{ ref('int_submissions_ranked') }} as v
    where exists (
            select 1 from {{ upstream }} as u
            where u.reporter_id = v.reporter_id and u.period_year = v.period_year
                and u.submission_id = v.submission_id and u.n_revisions is not distinct from v.n_revisions
                and ({{ where }})
        )
        and not exists (
            select 1 from {{ this }} as t
            where t.reporter_id = v.reporter_id and t.period_year = v.period_year
                and t.submission_id = v.submission_id and t.n_revisions is not distinct from v.n_revisions
        )
{% endmacro %}

{#- Before an incremental build (a pre-hook): deletes the reporter-years where the model holds rows
    of a version whose report has been sent again since (every new version of a report changes the
    n_revisions of its others). delete+insert alone deletes only the reporter-years it writes rows
    for, and a new version may have none here: a resubmission without its trade figures leaves
    none in fct_trade, yet the earlier version's trade figures stop being current. A deleted
    reporter-year that still has rows upstream lacks its versions now, so changed_reporter_years
    writes it again. -#}
{% macro delete_superseded_reporter_years() %}
    {%- if is_incremental() %}
    delete from {{ this }}
    where (reporter_id, period_year) in (
        select v.reporter_id, v.period_year
        from {{ ref('int_submissions_ranked') }} as v
        where exists (
            select 1 from {{ this }} as t
            where t.reporter_id = v.reporter_id and t.period_year = v.period_year
                and t.submission_id = v.submission_id and t.n_revisions is distinct from v.n_revisions
        )
    )
    {%- endif %}
{% endmacro %}

{#- The filter a model adds to its upstream: only the changed reporter-years when incremental. -#}
{% macro only_changed_reporter_years(alias, upstream, where="1 = 1") %}
    {#- named outside the condition: dbt learns a model's dependencies from a parse that is not incremental -#}
    {%- do ref('int_submissions_ranked') -%}
    {%- if is_incremental() %}
    inner join ({{ changed_reporter_years(upstream, where) }}) as changed
        on {{ alias }}.reporter_id = changed.reporter_id and {{ alias }}.period_year = changed.period_year
    {%- endif %}
{% endmacro %}
