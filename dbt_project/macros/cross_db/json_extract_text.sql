{#- Text value of a top-level key of a JSON object column (null when absent). -#}
{% macro json_extract_text(column, key) -%}
    {{ return(adapter.dispatch('json_extract_text', 'growth_analytics')(column, key)) }}
{%- endmacro %}

{% macro default__json_extract_text(column, key) -%}
    (cast({{ column }} as jsonb) ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_extract_text(column, key) -%}
    json_extract_string(cast({{ column }} as json), '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_extract_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}
