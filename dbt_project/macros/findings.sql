{#- A finding's id: stable across builds, the same finding on the same cells keeps it (16 hex digits
    of a hash of what identifies it). The rules' ids are made the same way in expectations/quality.py. -#}
{% macro finding_id(identity) -%}
    left({{ dbt.hash(identity) }}, 16)
{%- endmacro %}

{#- dq_findings' post-hook: each fact row carries the worst severity of the findings touching it
    (their cell_keys list the facts' figure_keys, separated by var('cell_key_separator')). The
    facts are built incrementally: a row kept from an earlier build loses a flag no finding gives it now. -#}
{% macro flag_facts() %}
{%- if not execute %}{{ return('') }}{% endif -%}
{%- set facts = [] -%}
{%- for node in graph.nodes.values() if node.resource_type == 'model' and 'fact' in node.tags -%}
    {%- do facts.append(node) -%}
{%- endfor -%}
drop table if exists dq_cell_flags;
create temporary table dq_cell_flags as
select cell_key as figure_key, {{ severity_of_rank('min(' ~ severity_rank('severity') ~ ')') }} as worst
from (
    select {{ split_to_rows('cell_keys', "'" ~ var('cell_key_separator') ~ "'") }} as cell_key, severity
    from {{ this }} where cell_keys is not null
) as touched
group by cell_key;
{#- only the rows whose flag changes are written: an update writes each row it touches again -#}
{% for fact in facts -%}
{%- set relation = api.Relation.create(database=fact.database, schema=fact.schema, identifier=fact.alias) %}
update {{ relation }} set worst_finding_severity = null
where worst_finding_severity is not null
    and not exists (select 1 from dq_cell_flags as f where f.figure_key = {{ relation }}.figure_key);
update {{ relation }} set worst_finding_severity = f.worst
from dq_cell_flags as f
where {{ relation }}.figure_key = f.figure_key and {{ relation }}.worst_finding_severity is distinct from f.worst;
{% endfor -%}
drop table dq_cell_flags
{% endmacro %}
