{#-
    First day (a date) of the day, week or month that contains `date_expr`.
    Weeks start on var('week_start') (monday .. sunday); months on the 1st. `date_expr` may be a date or a
    timestamp (a timestamp is cut to its date first, so pass local timestamps, not UTC ones).
    Usage: {{ period_start('week', 'activity_date') }}
-#}
{% macro period_start(grain, date_expr) -%}
    {%- set day_expr = 'cast(' ~ date_expr ~ ' as date)' -%}
    {%- if grain == 'day' -%}
        {{ day_expr }}
    {%- elif grain == 'week' -%}
        {%- set offset = week_start_offset() -%}
        {%- if offset == 0 -%}
            cast({{ dbt.date_trunc('week', 'cast(' ~ day_expr ~ ' as ' ~ dbt.type_timestamp() ~ ')') }} as date)
        {%- else -%}
            {#- Shift so that the chosen week day falls on a Monday, truncate to the ISO week, shift back. -#}
            cast(cast({{ dbt.date_trunc('week', 'cast(' ~ day_expr ~ ' - ' ~ offset ~ ' as ' ~ dbt.type_timestamp() ~ ')') }} as date) + {{ offset }} as date)
        {%- endif -%}
    {%- elif grain == 'month' -%}
        cast({{ dbt.date_trunc('month', 'cast(' ~ day_expr ~ ' as ' ~ dbt.type_timestamp() ~ ')') }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("period_start: grain must be 'day', 'week' or 'month', got '" ~ grain ~ "'") }}
    {%- endif -%}
{%- endmacro %}
