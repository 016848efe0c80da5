{#- A timestamp as a compact sortable text key, to the second: 20250106T235000 (for ids such as session ids). -#}
{% macro timestamp_key(timestamp_expr) -%}
    {{ return(adapter.dispatch('timestamp_key', 'growth_analytics')(timestamp_expr)) }}
{%- endmacro %}

{% macro default__timestamp_key(timestamp_expr) -%}
    to_char({{ timestamp_expr }}, 'YYYYMMDD"T"HH24MISS')
{%- endmacro %}

{% macro duckdb__timestamp_key(timestamp_expr) -%}
    strftime({{ timestamp_expr }}, '%Y%m%dT%H%M%S')
{%- endmacro %}

{% macro spark__timestamp_key(timestamp_expr) -%}
    date_format({{ timestamp_expr }}, "yyyyMMdd'T'HHmmss")
{%- endmacro %}
