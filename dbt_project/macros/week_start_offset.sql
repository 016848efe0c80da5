{#-
    Days from Monday to the first day of the reporting week, var('week_start'): monday = 0 .. sunday = 6.
    Fails compilation with one clear line for any other value.
-#}
{% macro week_start_offset() -%}
    {%- set days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] -%}
    {%- set week_start = var('week_start', 'monday') | string | lower | trim -%}
    {%- if week_start not in days -%}
        {{ exceptions.raise_compiler_error("var('week_start') must be one of " ~ days | join(', ') ~ ", got '" ~ week_start ~ "'") }}
    {%- endif -%}
    {{ return(days.index(week_start)) }}
{%- endmacro %}
