{#-
    The ordered funnel steps from var('funnel_steps'), checked: a list of at least two distinct,
    non-empty event names. Fails compilation with one clear line otherwise.
-#}
{% macro get_funnel_steps() -%}
    {%- set steps = var('funnel_steps') -%}
    {%- if steps is string or steps is mapping or steps is not iterable -%}
        {{ exceptions.raise_compiler_error("var('funnel_steps') must be a list of event names, got: " ~ steps) }}
    {%- endif -%}
    {%- if steps | length < 2 -%}
        {{ exceptions.raise_compiler_error("var('funnel_steps') needs at least two steps, got: " ~ steps | list) }}
    {%- endif -%}
    {%- for step in steps -%}
        {%- if step is not string or step | trim == '' -%}
            {{ exceptions.raise_compiler_error("var('funnel_steps') step " ~ loop.index ~ " is not an event name: " ~ step) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if steps | unique | list | length != steps | length -%}
        {{ exceptions.raise_compiler_error("var('funnel_steps') repeats an event name: " ~ steps | list) }}
    {%- endif -%}
    {{ return(steps | list) }}
{%- endmacro %}
