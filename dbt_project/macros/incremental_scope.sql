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

    Rows can only be added to a reporter-year, never removed: the ledger keeps every version. The
    one exception is an operator's withdrawal of a report's only version, which empties its rows;
    a withdrawal or restoration therefore makes the next refresh a full build (orchestration/fingerprint.py).
-#}

{% macro reporter_year_config() %}
    {{ return({"materialized": "incremental", "incremental_strategy": "delete+insert",
               "unique_key": ["reporter_id", "period_year"], "on_schema_change": "fail"}) }}
{% endmacro %}

{% macro changed_reporter_years(upstream, where="1 = 1") %}
    select distinct reporter_id, period_year
    from (
        select reporter_id, period_year, submission_id, n_revisions from {{ upstream }} where {{ where }}
        except
        select reporter_id, period_year, submission_id, n_revisions from {{ this }}
    ) as changed_versions
{% endmacro %}

{#- The filter a model adds to its upstream: only the changed reporter-years when incremental. -#}
{% macro only_changed_reporter_years(alias, upstream, where="1 = 1") %}
    {%- if is_incremental() %}
    inner join ({{ changed_reporter_years(upstream, where) }}) as changed
        on {{ alias }}.reporter_id = changed.reporter_id and {{ alias }}.period_year = changed.period_year
    {%- endif %}
{% endmacro %}
