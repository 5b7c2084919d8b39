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
    A new version may still leave a model fewer rows (delete_superseded_reporter_years). An
    operator's withdrawal or restoration takes a version out of the ranking (its n_revisions
    becomes null), which these comparisons do not follow: it makes the next refresh a full build
    (orchestration/fingerprint.py).
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
    where exists ({{ rows_of_version(upstream, "is not distinct from", where) }})
        and not exists ({{ rows_of_version(this, "is not distinct from") }})
{% endmacro %}

{#- The rows of `relation` that match `where` and belong to the version `v` (a row of
    int_submissions_ranked), their n_revisions compared to its by `n_revisions_is`: a lookup by the
    index PostgreSQL keeps on these four columns (reporter_year_config). -#}
{% macro rows_of_version(relation, n_revisions_is, where="1 = 1") %}
    select 1 from {{ relation }} as t
    where t.reporter_id = v.reporter_id and t.period_year = v.period_year and t.submission_id = v.submission_id
        and t.n_revisions {{ n_revisions_is }} v.n_revisions and ({{ where }})
{% endmacro %}

{#- Before an incremental build (a pre-hook): deletes the reporter-years where the model holds rows
    of a version whose report has been sent again since (every new version of a report changes the
    n_revisions of its others). delete+insert alone deletes only the reporter-years it writes rows
    for, and a new version may have none here: a resubmission without its trade figures leaves
    none in fct_trade, yet the earlier version's trade figures stop being current. A deleted
    reporter-year that still has rows upstream lacks its versions now, so changed_reporter_years
    writes it again. -#}
{% macro delete_superseded_reporter_years() %}
    {#- named outside the condition: dbt learns a hook's dependencies from a parse that is not incremental -#}
    {%- do ref('int_submissions_ranked') -%}
    {%- if is_incremental() %}
    {#- "less or greater" rather than "distinct": each is a range of PostgreSQL's index, which tells
        in one step that a version has no such rows. A withdrawn version (n_revisions null) is
        neither: a withdrawal makes a full build. -#}
    delete from {{ this }}
    where (reporter_id, period_year) in (
        select v.reporter_id, v.period_year
        from {{ ref('int_submissions_ranked') }} as v
        where exists ({{ rows_of_version(this, "<") }}) or exists ({{ rows_of_version(this, ">") }})
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

{#- The rows a data test of a model reads (dbt calls this for every generic test; `where` configs
    work as in dbt's own get_where_subquery). When an incremental build has rewritten reporter-years,
    the tests of a reporter-year model read only the reporter-years whose current versions differ
    from those the rules last ran over (dq_checked_versions, written after a build whose tests
    passed): every other reporter-year was tested when it was written and has not been written
    since, and each test's condition holds row by row or within a reporter-year (the grain's keys
    begin with the reporter and period). A full build, a build before any rules ran, and one with no
    changed version (a run started from the UI with nothing new, `dbt test` by hand) test every row. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set reporter_year_models = [] -%}
    {%- for node in (graph.nodes.values() if execute else []) if node.resource_type == 'model'
            and node.config.unique_key == ['reporter_id', 'period_year'] and node.alias == relation.identifier
            and node.schema == relation.schema -%}
        {%- do reporter_year_models.append(node) -%}
    {%- endfor -%}
    {%- set checked = none -%}
    {%- if reporter_year_models and not flags.FULL_REFRESH -%}
        {%- set checked_source = graph.sources['source.zonestat.quality.dq_checked_versions'] -%}
        {%- set checked = load_relation(api.Relation.create(database=checked_source.database,
                                        schema=checked_source.schema, identifier=checked_source.identifier)) -%}
    {%- endif -%}
    {%- if checked is not none -%}
        {%- set ranked_node = graph.nodes['model.zonestat.int_submissions_ranked'] -%}
        {%- set ranked = api.Relation.create(database=ranked_node.database, schema=ranked_node.schema,
                                             identifier=ranked_node.alias) -%}
        {%- set changed_versions -%}
            select v.reporter_id, v.period_year
            from {{ ranked }} as v
            where v.revision_number = v.n_revisions and not exists (
                select 1 from {{ checked }} as c
                where c.reporter_id = v.reporter_id and c.period_key = v.period_key
                    and c.submission_id = v.submission_id and c.n_revisions = v.n_revisions
            )
        {%- endset -%}
        {%- if run_query(changed_versions ~ " limit 1").rows | length > 0 -%}
            {%- set rewritten = "(reporter_id, period_year) in (" ~ changed_versions ~ ")" -%}
            {%- set where = rewritten ~ (" and (" ~ where ~ ")" if where else "") -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {{ return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
