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
            an index up to date), and replaces them through it (get_incremental_reporter_years_sql) -#}
        {%- do config.update({"indexes": [{"columns": ["reporter_id", "period_year", "submission_id", "n_revisions"]}],
                              "incremental_strategy": "reporter_years"}) -%}
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
    {%- set superseded -%}
        select v.reporter_id, v.period_year
        from {{ ref('int_submissions_ranked') }} as v
        where exists ({{ rows_of_version(this, "<") }}) or exists ({{ rows_of_version(this, ">") }})
    {%- endset %}
    delete from {{ this }} as model_row
    where (model_row.reporter_id, model_row.period_year) in ({{ superseded }})
        and {{ reporters_by_index('model_row', superseded) }}
    {%- endif %}
{% endmacro %}

{#- How a reporter-year model's rows are replaced on PostgreSQL (reporter_year_config): dbt's
    delete+insert, with the reporters of the new rows found by the index (reporters_by_index).
    DuckDB keeps dbt-duckdb's delete+insert. -#}
{% macro get_incremental_reporter_years_sql(arg_dict) %}
    {%- set written -%}select reporter_id from {{ arg_dict['temp_relation'] }}{%- endset -%}
    {%- set predicates = (arg_dict['incremental_predicates'] or [])
                         + [reporters_by_index('DBT_INTERNAL_DEST', written)] -%}
    {{- return(get_delete_insert_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'],
                                           arg_dict['unique_key'], arg_dict['dest_columns'], predicates)) -}}
{% endmacro %}

{#- A condition on the rows of `alias` for PostgreSQL's planner, true of every row whose reporter
    the query `reporters` (of reporter_id) returns: where a model's rows are looked up by a query of
    reporter-years, it cannot tell how few such a query returns, guesses thousands, and reads the
    whole table. Given their reporters as an array, it looks them up by the index
    reporter_year_config keeps. DuckDB scans: nothing to add. -#}
{% macro reporters_by_index(alias, reporters) %}
    {{- return(adapter.dispatch('reporters_by_index')(alias, reporters)) -}}
{% endmacro %}
{% macro default__reporters_by_index(alias, reporters) %}true{% endmacro %}
{% macro postgres__reporters_by_index(alias, reporters) -%}
    {{ alias }}.reporter_id = any(array(select reporter_id from ({{ reporters }}) as by_index))
{%- endmacro %}

{#- The changed reporter-years (changed_reporter_years), and the reporter-years whose rules compare
    their figures with theirs (`dependants`): 'the next year' (growth claims, against last year) or
    'every year' (a series' usual level, over its whole history), each of every reporter of a
    changed one's group (reporters.sql's reporter_group, by dim_province's successor_2025_code): the
    province itself and, across the 2025 merger, the province formed from it and the others it was
    formed from; a bloc is its own. -#}
{% macro changed_reporter_years_and_dependants(upstream, where, dependants) %}
    {%- set successor_2025_code -%}
        (select p.successor_2025_code from {{ ref('dim_province') }} as p
         where v.reporter_kind = 'province' and p.vintage = v.reporter_vintage and p.gso_code = v.reporter_code)
    {%- endset -%}
    with changed as ({{ changed_reporter_years(upstream, where) }}),
    grouped as (
        select distinct v.reporter_id, v.period_year, {{ reporter_group(successor_2025_code, 'v.reporter_id') }} as reporter_group
        from {{ ref('int_submissions_ranked') }} as v
        where v.is_current
    )
    select reporter_id, period_year from changed
    union
    select g.reporter_id, g.period_year
    from grouped as g
    inner join grouped as o
        on o.reporter_group = g.reporter_group
        {%- if dependants == 'the next year' %} and o.period_year + 1 = g.period_year{% endif %}
    inner join changed as c on c.reporter_id = o.reporter_id and c.period_year = o.period_year
{% endmacro %}

{#- The filter a model adds to its upstream: only the changed reporter-years when incremental, with
    their `dependants` when given (changed_reporter_years_and_dependants). -#}
{% macro only_changed_reporter_years(alias, upstream, where="1 = 1", dependants=none) %}
    {%- if dependants not in (none, 'the next year', 'every year') -%}
        {{ exceptions.raise_compiler_error("dependants: 'the next year' or 'every year', not '" ~ dependants ~ "'") }}
    {%- endif -%}
    {#- named outside the condition: dbt learns a model's dependencies from a parse that is not incremental -#}
    {%- do ref('int_submissions_ranked') -%}
    {%- do ref('dim_province') if dependants -%}
    {%- if is_incremental() %}
    {%- set changed = changed_reporter_years_and_dependants(upstream, where, dependants) if dependants
                      else changed_reporter_years(upstream, where) %}
    inner join ({{ changed }}) as changed
        on {{ alias }}.reporter_id = changed.reporter_id and {{ alias }}.period_year = changed.period_year
        and {{ reporters_by_index(alias, changed) }}
    {%- endif %}
{% endmacro %}

{#- int_submissions_ranked, as macros that run outside a model (hooks, test scopes) name it. -#}
{% macro submissions_ranked() %}
    {%- set node = graph.nodes['model.zonestat.int_submissions_ranked'] -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{#- The record of what the data tests have passed over: per reporter-year model, the versions of the
    reports (submission_id, n_revisions) its rows stood for when every test of the model last passed.
    A version missing from it is one whose rows no passing test has read yet. -#}
{% macro tested_versions() %}
    {{ return(api.Relation.create(database=target.database, schema=target.schema,
                                  identifier='dbt_tested_versions')) }}
{% endmacro %}

{#- The reporter-year models: those whose rows are written by reporter-year (reporter_year_config). -#}
{% macro reporter_year_models() %}
    {{ return(graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
              | selectattr('config.unique_key', 'equalto', reporter_year_config().unique_key) | list) }}
{% endmacro %}

{#- After a build or a test run (on-run-end), for each reporter-year model:
    - every test of it ran and passed, and it was built in this run from upstream models all built in
      this run too: its rows stand for the current versions, and those are its record now;
    - a test of it did not pass (failed, erred, warned, or was skipped after a failure upstream):
      its record is emptied, so that the next build tests all of its rows;
    - otherwise (its tests not all selected, or it or an upstream model not rebuilt, as in a subset
      of the models, `dbt test` alone, `dbt build --empty`) its record stays as it was: whether its
      rows stand for the current versions is not known. -#}
{% macro record_tested_versions(results) %}
    {%- if execute and flags.WHICH in ('build', 'test') -%}
        {%- set statuses, built = {}, [] -%}
        {%- for result in results -%}
            {%- if result.node.resource_type == 'test' and result.node.attached_node -%}
                {%- do statuses.setdefault(result.node.attached_node, []).append(result.status | string) -%}
            {%- elif result.node.resource_type in ('model', 'seed') and result.status | string == 'success'
                     and not flags.EMPTY -%}
                {%- do built.append(result.node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set passed, failed = [], [] -%}
        {%- for model in reporter_year_models() -%}
            {%- set ran = statuses.get(model.unique_id, []) -%}
            {%- set tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
                            | selectattr('attached_node', 'equalto', model.unique_id) | list -%}
            {#- the model and everything it is built from (a list that grows as it is walked) -#}
            {%- set lineage = [model.unique_id] -%}
            {%- for node_id in lineage -%}
                {%- for upstream in graph.nodes[node_id].depends_on.nodes
                        if upstream in graph.nodes and upstream not in lineage -%}
                    {%- do lineage.append(upstream) -%}
                {%- endfor -%}
            {%- endfor -%}
            {%- if ran | reject('equalto', 'pass') | list -%}
                {%- do failed.append(model.name) -%}
            {%- elif tests and ran | length == tests | length and lineage | reject('in', built) | list | length == 0 -%}
                {%- do passed.append(model.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if passed or failed -%}
            {#- hooks run outside dbt's transactions (and on PostgreSQL in the one psycopg2 opened, which
                the `begin` finds already open): a record is never left half replaced -#}
            begin;
            create schema if not exists {{ target.schema }};
            create table if not exists {{ tested_versions() }} (
                model_name {{ dbt.type_string() }}, submission_id {{ dbt.type_string() }},
                n_revisions {{ dbt.type_bigint() }});
            delete from {{ tested_versions() }} where model_name in ({{ quoted_list(passed + failed) }});
            {%- if passed %}
            insert into {{ tested_versions() }}
            select m.model_name, v.submission_id, v.n_revisions
            from {{ submissions_ranked() }} as v
            cross join (
                {%- for name in passed %}
                select '{{ name }}' as model_name{{ " union all" if not loop.last }}
                {%- endfor %}
            ) as m
            where v.is_current;
            {%- endif %}
            commit;
            {%- if target.type == 'postgres' %}
            analyze {{ tested_versions() }};  {#- as every table the build writes (macros/portable.sql) -#}
            {%- endif %}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- The rows a data test of a model reads (dbt calls this for every generic test; `where` configs
    work as in dbt's own get_where_subquery). The tests of a reporter-year model read only the
    reporter-years whose current versions are not in its record (record_tested_versions): every
    other reporter-year has passed its tests since it was last written, and each test's condition
    holds row by row or within a reporter-year (the grain's keys begin with the reporter and
    period). A full build, a model with no record, and one with no untested version (a run started
    from the UI with nothing new, `dbt test` by hand after a build) test every row. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set model = (reporter_year_models() if execute else []) | selectattr('alias', 'equalto', relation.identifier)
                    | selectattr('schema', 'equalto', relation.schema) | first -%}
    {%- set tested = load_relation(tested_versions()) if model and not flags.FULL_REFRESH else none -%}
    {%- if tested is not none -%}
        {%- set untested_versions -%}
            select v.reporter_id, v.period_year
            from {{ submissions_ranked() }} as v
            where v.is_current and not exists (
                select 1 from {{ tested }} as t
                where t.model_name = '{{ model.name }}' and t.submission_id = v.submission_id
                    and t.n_revisions = v.n_revisions
            )
        {%- endset -%}
        {%- set scoped -%}
            select 1 where exists (select 1 from {{ tested }} where model_name = '{{ model.name }}')
                and exists ({{ untested_versions }})
        {%- endset -%}
        {%- if run_query(scoped).rows -%}
            {%- set scope = "(reporter_id, period_year) in (" ~ untested_versions ~ ")" -%}
            {%- set where = scope ~ (" and (" ~ where ~ ")" if where else "") -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {{ return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
