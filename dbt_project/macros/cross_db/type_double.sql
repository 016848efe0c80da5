{#- The 8-byte floating point type: `double precision` (PostgreSQL, DuckDB), `double` on Spark.
    (dbt's type_float() is a 4-byte float on DuckDB, so it is not used.) -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'growth_analytics')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
