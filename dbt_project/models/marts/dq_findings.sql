{{ config(post_hook="{{ flag_facts() }}") }}
-- Every finding, one row each: the rules' (the quality engine writes them, with their suggested
-- corrections, into dq_rule_findings) and the door's (stg_landing__findings, and the versions a
-- report's files do not order), with the reporter each is about named as the dimensions name it.
-- After it is built, each fact row is flagged with the worst severity touching it (flag_facts).
with door as (
    select
        f.rule_id,
        f.severity,
        s.reporter_id,
        s.period_key,
        f.submission_id,
        cast(null as {{ dbt.type_bigint() }}) as revision_number,
        f.message,
        f.message_vi,
        case when f.sheet = '' then f.cell else f.sheet || '!' || f.cell end as source_cells
    from {{ ref('stg_landing__findings') }} as f
    left join {{ ref('stg_landing__submissions') }} as s
        on f.submission_id = s.submission_id
),

unordered_versions as (
    -- versions equal in status, date prepared and arrival: the content hash chose the current one
    select
        'submission.versions_unordered' as rule_id,
        'warning' as severity,
        k.reporter_id,
        k.period_key,
        k.submission_id,
        cast(k.revision_number as {{ dbt.type_bigint() }}) as revision_number,
        k.file_name || ' is kept as the current version of ' || k.reporter_id || ' ' || k.period_key
            || ', but ' || {{ dbt.listagg('o.file_name', "', '", 'order by o.file_name') }}
            || ' has the same status, date prepared and arrival time: nothing in the files says which'
            || ' is later, so the content hash decided. Send the right version again (with ngay_lap).' as message,
        k.file_name || ' được giữ làm bản hiện hành của ' || k.reporter_id || ' ' || k.period_key
            || ', nhưng ' || {{ dbt.listagg('o.file_name', "', '", 'order by o.file_name') }}
            || ' có cùng trạng thái, ngày lập và thời điểm nhận: không có gì trong tệp cho biết bản nào'
            || ' mới hơn, nên mã băm nội dung quyết định. Hãy gửi lại bản đúng (có ngay_lap).' as message_vi,
        '' as source_cells
    from {{ ref('int_submissions_ranked') }} as k
    inner join {{ ref('int_submissions_ranked') }} as o
        on o.reporter_id = k.reporter_id and o.period_key = k.period_key
        and o.status_rank = k.status_rank and o.prepared_on is not distinct from k.prepared_on
        and o.received_at = k.received_at and o.submission_id <> k.submission_id
    where k.is_unordered and k.is_current
    group by k.reporter_id, k.period_key, k.submission_id, k.revision_number, k.file_name
),

door_findings as (
    select
        {{ finding_id("rule_id || '|' || coalesce(submission_id, '') || '|' || coalesce(source_cells, '') || '|' || message") }}
            as finding_id,
        door_and_versions.*
    from (
        select * from door
        union all
        select * from unordered_versions
    ) as door_and_versions
),

{#- The rules' findings have the columns the quality engine gives them (quality.FINDING_COLUMN_TYPES);
    a door finding has those of them it knows, and null in the others (about no relation). -#}
{%- set rule_findings = source('quality', 'dq_rule_findings') -%}
{%- set columns = adapter.get_columns_in_relation(rule_findings) | map(attribute='name') | list if execute else [] -%}
{%- set door_columns = ['finding_id', 'rule_id', 'severity', 'reporter_id', 'period_key', 'submission_id',
                       'revision_number', 'message', 'message_vi', 'source_cells'] -%}
{%- set door_constants = {'kind': "'submission'", 'zone_key': "''"} %}
findings as (
    select {{ columns | join(', ') if columns else '*' }}
    from {{ rule_findings }}
    union all
    select
        {%- for column in columns %}
        {{ column if column in door_columns else door_constants.get(column, 'null') }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select door_findings.*, row_number() over (partition by finding_id order by submission_id) as copy
        from door_findings
    ) as numbered
    where copy = 1
),

reporters as (
    select
        s.reporter_id,
        s.reporter_kind,
        s.reporter_code,
        s.reporter_vintage,
        coalesce(p.name_vi, b.bloc_name_vi) as reporter_name,
        p.successor_2025_code as province_2025_code,
        p25.name_vi as province_2025_name
    from (
        select reporter_id, max(reporter_kind) as reporter_kind, max(reporter_code) as reporter_code,
            max(reporter_vintage) as reporter_vintage
        from {{ ref('fct_submissions') }}
        where reporter_id is not null
        group by reporter_id
    ) as s
    left join {{ ref('dim_province') }} as p
        on s.reporter_kind = 'province' and p.vintage = s.reporter_vintage and p.gso_code = s.reporter_code
    left join {{ ref('dim_province') }} as p25
        on p25.vintage = 2025 and p25.gso_code = p.successor_2025_code
    left join {{ ref('dim_bloc') }} as b
        on s.reporter_kind = 'bloc' and b.bloc_code = s.reporter_code
)

select
    f.*,
    r.reporter_kind,
    r.reporter_code,
    r.reporter_vintage,
    r.reporter_name,
    r.province_2025_code,
    r.province_2025_name
from findings as f
left join reporters as r
    on f.reporter_id = r.reporter_id
