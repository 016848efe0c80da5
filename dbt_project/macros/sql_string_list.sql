{#-
    A list of names as a SQL list of string literals, quotes escaped: ['a', "b'c"] -> 'a', 'b''c'.
    For `where event_name in ({{ sql_string_list(var('revenue_events')) }})`. Fails on an empty or non-list value.
-#}
{% macro sql_string_list(values, var_name='value') -%}
    {%- if values is string or values is mapping or values is not iterable or values | length == 0 -%}
        {{ exceptions.raise_compiler_error(var_name ~ " must be a non-empty list of names, got " ~ values) }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}
