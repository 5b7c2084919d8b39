{#- Reading only the landing files a build needs.

    Landing files are immutable and named by submission id (ingest/land.py): landing/<table>/<id>.parquet.
    A full build reads a whole folder through the source; an incremental build lists the ids it
    needs first and reads those files only, because opening 5,500 Parquet files costs seconds and
    listing them does not. On PostgreSQL the landing is a table per folder, loaded by zonestat
    (ingest/load_postgres.py), and reading some ids is a filter on it.
-#}

{#- The ids of the files in a landing folder, as a query (file names, not contents). -#}
{% macro landing_ids(table) %}{{ return(adapter.dispatch('landing_ids')(table)) }}{% endmacro %}

{% macro default__landing_ids(table) %}
    select replace(file_name, '.parquet', '') as submission_id
    from {{ source('landing', 'loaded_files') }}
    where landing_table = '{{ table }}'
{% endmacro %}

{% macro duckdb__landing_ids(table) %}
    select regexp_extract(file, '([^/]+)[.]parquet$', 1) as submission_id
    from glob('{{ landing_folder(table) }}/*.parquet')
    where not regexp_extract(file, '([^/]+)[.]parquet$', 1) like '\_%' escape '\'
{% endmacro %}

{% macro landing_folder(table) %}
    {{- return((var('zonestat_landing', none) or env_var('ZONESTAT_LANDING')) ~ '/' ~ table) -}}
{% endmacro %}

{#- The rows of the submissions that `ids_query` returns. -#}
{% macro landing_files(table, ids_query) %}{{ return(adapter.dispatch('landing_files')(table, ids_query)) }}{% endmacro %}

{% macro default__landing_files(table, ids_query) %}
    (select * from {{ source('landing', table) }} where submission_id in ({{ ids_query }})) as landed_{{ table }}
{% endmacro %}

{#- read_parquet over the files of the submissions that `ids_query` returns (and the empty
    _schema file, so that no ids still reads the right columns; a file landed before a column
    existed reads it as NULL). Many ids: the whole folder. -#}
{% macro duckdb__landing_files(table, ids_query) %}
    {%- set ids = run_query(ids_query).columns[0].values() if execute else [] -%}
    {%- if ids | length > 1000 -%}
        {{ source('landing', table) }}
    {%- else -%}
        read_parquet(['{{ landing_folder(table) }}/_schema.parquet'
            {%- for id in ids %}, '{{ landing_folder(table) }}/{{ id }}.parquet'{% endfor %}], union_by_name = true)
    {%- endif -%}
{% endmacro %}
{#- Figures as landed, typed and named as the warehouse names them: the staging view over all of
    them, and int_figures_revisions over the files an incremental build needs. The landed columns
    not named here follow as they are (figures_carried_as_landed), and go on to the facts. -#}
{% macro landing_figures(relation) %}
{%- set read = figures_read_by_name() %}
select
    {%- for column in read.columns %}
    {% if column in read.cast %}cast({{ column }} as {{ read.cast[column] }}){% else %}{{ column }}{% endif -%}
    {%- if column in read.renamed or column in read.cast %} as {{ read.renamed.get(column, column) }}{% endif -%}
    {{- "," if not loop.last }}
    {%- endfor %}
    {%- for column in landed_columns('figures') if column not in read.columns %},
    {{ column }}
    {%- endfor %}
from {{ relation }}
{% endmacro %}

{#- The landing's figure columns that the warehouse reads by name (ingest/figure_record.py's
    FigureRow), with those it renames or casts. -#}
{% macro figures_read_by_name() %}
    {{- return({
        'columns': ['submission_id', 'source_sheet', 'source_cell', 'source_row', 'indicator', 'indicator_label',
                    'zone_name', 'zone_key', 'zone_kind', 'breakdown', 'value', 'unit', 'value_as_typed',
                    'unit_as_typed', 'rounding_tolerance', 'text_as_typed', 'growth_pct', 'share_pct',
                    'growth_tolerance', 'share_tolerance'],
        'renamed': {'indicator': 'indicator_code', 'growth_pct': 'growth_pct_claimed', 'share_pct': 'share_pct_claimed'},
        'cast': {'source_row': 'integer'},
    }) -}}
{% endmacro %}

{#- The figure columns the staging carries as they were landed (those the boards' files carry as
    typed, and the note), which the revisions and the facts keep as they are: a column added to
    the landing reaches the facts without a change here, and the facts' contract
    (models/marts/_facts.yml) asks for its type and description. Taken from the landing's columns,
    as landing_figures takes them, not from the staging view: on DuckDB, describing the view binds
    its read of every landed file, once for each model that asks. -#}
{% macro figures_carried_as_landed() %}
    {%- set read = figures_read_by_name() -%}
    {{- return(landed_columns('figures') | reject('in', read.columns) | list) -}}
{% endmacro %}

{#- The columns of a landing table: on DuckDB those of the folder's _schema file, which ingest
    keeps in the current columns (ingest/land.py); on PostgreSQL those of the loaded table, where
    a column added later comes last (the contracts put the facts' columns in their own order).
    Known only when a model runs (`execute`). -#}
{% macro landed_columns(table) %}
    {%- set relation = source('landing', table) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {{- return(adapter.dispatch('landed_columns')(table, relation)) -}}
{% endmacro %}

{% macro default__landed_columns(table, relation) %}
    {{- return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list) -}}
{% endmacro %}

{% macro duckdb__landed_columns(table, relation) %}
    {%- set described = run_query("describe select * from read_parquet('" ~ landing_folder(table) ~ "/_schema.parquet')") -%}
    {{- return(described.columns[0].values() | list) -}}
{% endmacro %}
