{#-
    Schemas are exactly raw, staging, intermediate and marts on every target, so a BI tool always finds
    marts.<model>. dbt's default would prefix the target schema (marts_staging, ...).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
