{#-
    Aggregate: the value of `value_expr` on the row with the smallest `order_expr` in the group
    (the device of a session's first event, ...). Ties are broken by the smallest value.
-#}
{% macro value_at_min(value_expr, order_expr) -%}
    {{ return(adapter.dispatch('value_at_min', 'growth_analytics')(value_expr, order_expr)) }}
{%- endmacro %}

{% macro default__value_at_min(value_expr, order_expr) -%}
    (array_agg({{ value_expr }} order by {{ order_expr }}, {{ value_expr }}))[1]
{%- endmacro %}

{% macro duckdb__value_at_min(value_expr, order_expr) -%}
    arg_min({{ value_expr }}, struct_pack(o := {{ order_expr }}, v := {{ value_expr }}))
{%- endmacro %}

{% macro spark__value_at_min(value_expr, order_expr) -%}
    min_by({{ value_expr }}, struct({{ order_expr }}, {{ value_expr }}))
{%- endmacro %}
