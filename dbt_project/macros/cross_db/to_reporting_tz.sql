{#-
    Convert a naive UTC timestamp column to naive local time in var('reporting_timezone').
    Returns the column unchanged when the reporting time zone is UTC.
-#}
{% macro to_reporting_tz(column) -%}
    {%- set tz = var('reporting_timezone', 'UTC') -%}
    {%- if tz | upper in ('UTC', 'ETC/UTC', 'Z') -%}
        {{ column }}
    {%- else -%}
        {{ return(adapter.dispatch('to_reporting_tz', 'growth_analytics')(column, tz)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__to_reporting_tz(column, tz) -%}
    cast(({{ column }} at time zone 'UTC') at time zone '{{ tz }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__to_reporting_tz(column, tz) -%}
    cast(timezone('{{ tz }}', timezone('UTC', {{ column }})) as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro spark__to_reporting_tz(column, tz) -%}
    from_utc_timestamp({{ column }}, '{{ tz }}')
{%- endmacro %}
