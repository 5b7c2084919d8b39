{#- SQL that DuckDB and PostgreSQL write differently; everything else in the project is written
    once, in SQL both engines read (dbt's cross-database macros where those exist). -#}

{#- The value of `value` on the row where `key` is least (DuckDB's arg_min). -#}
{% macro value_at_min(value, key) %}{{ return(adapter.dispatch('value_at_min')(value, key)) }}{% endmacro %}
{% macro default__value_at_min(value, key) %}(array_agg({{ value }} order by {{ key }}))[1]{% endmacro %}
{% macro duckdb__value_at_min(value, key) %}arg_min({{ value }}, {{ key }}){% endmacro %}

{#- An integer key of some text columns: 60 bits of their md5, the same number on every engine,
    so that keys (and sums over them) compare across engines. -#}
{% macro row_key(columns) %}
    {%- set joined = "concat_ws('|', " ~ (columns | join(", ")) ~ ")" -%}
    {{ return(adapter.dispatch('hex_to_bigint')("left(md5(" ~ joined ~ "), 15)")) }}
{% endmacro %}
{% macro default__hex_to_bigint(hex) %}('x' || {{ hex }})::bit(60)::bigint{% endmacro %}
{% macro duckdb__hex_to_bigint(hex) %}cast('0x' || {{ hex }} as bigint){% endmacro %}

{#- An integer of some text columns, to group and join on within one query: faster than the columns
    themselves, and not stored (each engine hashes its own way; row_key is the same on both). -#}
{% macro hash_of(columns) %}{{ return(adapter.dispatch('hash_of')(columns)) }}{% endmacro %}
{% macro default__hash_of(columns) %}hashtextextended(concat_ws('|', {{ columns | join(", ") }}), 0){% endmacro %}
{% macro duckdb__hash_of(columns) %}hash({{ columns | join(", ") }}){% endmacro %}

{#- One row per part of a separated list (in a select list, beside the row's other columns). -#}
{% macro split_to_rows(text, separator) %}{{ return(adapter.dispatch('split_to_rows')(text, separator)) }}{% endmacro %}
{% macro default__split_to_rows(text, separator) %}unnest(string_to_array({{ text }}, {{ separator }})){% endmacro %}
{% macro duckdb__split_to_rows(text, separator) %}unnest(string_split({{ text }}, {{ separator }})){% endmacro %}

{#- After a model's table is written: PostgreSQL plans queries from statistics that it gathers only
    when asked or when autovacuum comes by, and a table just built has none, so the next model and
    the quality rules would be planned blind (a nested loop over a million rows). DuckDB keeps its
    own as it writes. An incremental build that rewrites a few reporter-years leaves them about as
    good as they were: they are gathered again only when the row count moved by more than a tenth
    or the table has none (autovacuum, which counts the rows changed, gathers them in time). -#}
{% macro refresh_statistics() %}{{ return(adapter.dispatch('refresh_statistics')()) }}{% endmacro %}
{% macro default__refresh_statistics() %}{% if config.get('materialized') != 'view' %}analyze {{ this }}{% endif %}{% endmacro %}
{% macro postgres__refresh_statistics() %}
    {%- if config.get('materialized') == 'incremental' and is_incremental() -%}
    do $$ declare counted bigint; known real; begin
        select count(*) into counted from {{ this }};
        select reltuples into known from pg_class where oid = '{{ this }}'::regclass;
        if known < 0 or abs(counted - known) > 0.1 * greatest(counted, known) then
            analyze {{ this }};
        end if;
    end $$
    {%- else -%}
    {{ default__refresh_statistics() }}
    {%- endif -%}
{% endmacro %}
{% macro duckdb__refresh_statistics() %}{% endmacro %}
