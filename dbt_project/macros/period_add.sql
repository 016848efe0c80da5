{#-
    The date `periods` days, weeks or months after `date_expr` (negative = before), as a date.
    Usage: {{ period_add('month', 'period_start', 1) }}  -> the first day of the next month.
-#}
{% macro period_add(grain, date_expr, periods) -%}
    {%- if grain == 'day' -%}
        cast(cast({{ date_expr }} as date) + cast({{ periods }} as integer) as date)
    {%- elif grain == 'week' -%}
        cast(cast({{ date_expr }} as date) + 7 * cast({{ periods }} as integer) as date)
    {%- elif grain == 'month' -%}
        cast({{ dbt.dateadd('month', periods, 'cast(' ~ date_expr ~ ' as date)') }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("period_add: grain must be 'day', 'week' or 'month', got '" ~ grain ~ "'") }}
    {%- endif -%}
{%- endmacro %}
