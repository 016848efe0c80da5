{#-
    var('funnel_conversion_window_days') checked: a whole number of days, at least 1.
    Fails compilation with one clear line otherwise.
-#}
{% macro get_funnel_conversion_window_days() -%}
    {%- set days = var('funnel_conversion_window_days') -%}
    {%- if days is not number or days is boolean or days != (days | int) or days < 1 -%}
        {{ exceptions.raise_compiler_error("var('funnel_conversion_window_days') must be a whole number of days >= 1, got: " ~ days) }}
    {%- endif -%}
    {{ return(days | int) }}
{%- endmacro %}
