{#-
    Name of the event that activates a user: var('activation_event') when set, else the second step of
    var('funnel_steps') (the first step when the funnel has only one).
-#}
{% macro activation_event() -%}
    {%- set configured = var('activation_event', none) -%}
    {%- if configured is not none and configured | string | trim != '' -%}
        {{ return(configured | string | trim) }}
    {%- endif -%}
    {%- set steps = var('funnel_steps', []) -%}
    {%- if steps is string or steps | length == 0 -%}
        {{ exceptions.raise_compiler_error("var('funnel_steps') must be a non-empty list when var('activation_event') is not set") }}
    {%- endif -%}
    {{ return(steps[1] if steps | length > 1 else steps[0]) }}
{%- endmacro %}
