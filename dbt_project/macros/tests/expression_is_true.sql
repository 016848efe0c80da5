{#-
    Fails for every row where `expression` is not true. Same name and arguments as
    dbt_utils.expression_is_true, so a team with dbt Hub access can switch to the package.
    Usage (model level):  - expression_is_true: {expression: "active_users = new_users + retained_users"}
    Usage (column level): - expression_is_true: {expression: ">= 0"}  (the column is prefixed)
-#}
{% test expression_is_true(model, expression, column_name=None, where=None) %}

select *
from {{ model }}
where
    {% if where %}({{ where }}) and {% endif %}
    not coalesce(({% if column_name %}{{ column_name }} {% endif %}{{ expression }}), false)

{% endtest %}
