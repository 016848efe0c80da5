{#- Seconds from timestamp `start_expr` to timestamp `end_expr` (fractional, negative when end is earlier). -#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('seconds_between', 'growth_analytics')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__seconds_between(start_expr, end_expr) -%}
    cast(extract(epoch from ({{ end_expr }} - {{ start_expr }})) as {{ type_double() }})
{%- endmacro %}

{% macro duckdb__seconds_between(start_expr, end_expr) -%}
    cast((epoch_us({{ end_expr }}) - epoch_us({{ start_expr }})) / 1000000.0 as {{ type_double() }})
{%- endmacro %}

{% macro spark__seconds_between(start_expr, end_expr) -%}
    cast((unix_micros({{ end_expr }}) - unix_micros({{ start_expr }})) / 1000000.0 as double)
{%- endmacro %}
