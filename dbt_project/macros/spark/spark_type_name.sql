{#- A PostgreSQL/DuckDB type name as Spark SQL spells it (double precision -> double, varchar/text -> string,
    numeric(p, s) -> decimal(p, s)); other names unchanged. -#}
{% macro spark_type_name(type) -%}
    {%- set t = type | string | trim | lower -%}
    {%- if t in ('double precision', 'float8', 'float') -%}
        double
    {%- elif t in ('varchar', 'text', 'character varying') -%}
        string
    {%- elif t.startswith('numeric') -%}
        decimal{{ t[7:] }}
    {%- else -%}
        {{ type }}
    {%- endif -%}
{%- endmacro %}
