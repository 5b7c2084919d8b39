{#- Rows whose column is not one of the codes the door accepts: the list is the project variable
    `list_var` (dbt_project.yml), which the door reads too, so an accepted file cannot fail this test. -#}
{% test door_list(model, column_name, list_var) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
   or {{ column_name }} not in ({{ quoted_list(var(list_var)) }})
{% endtest %}
