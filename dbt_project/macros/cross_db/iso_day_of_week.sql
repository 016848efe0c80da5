{#- ISO day of the week of a date as an integer: Monday = 1 .. Sunday = 7. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'growth_analytics')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    cast(extract(isodow from {{ date_expr }}) as integer)
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expr) -%}
    cast(extract(dayofweek_iso from {{ date_expr }}) as integer)
{%- endmacro %}
