{#-
    Where an incremental run starts reading: the latest arrival (loaded_at) the model already holds, less
    var('incremental_lookback_hours') for clock skew between loaders. Rows are picked by arrival, never by event
    time, so an event that arrives any number of days after it happened is still read. On an empty target,
    everything is read.
-#}
{% macro incremental_watermark(relation=none, column='loaded_at') -%}
    {%- set lookback = var('incremental_lookback_hours', 3) -%}
    {%- if lookback is not number or lookback < 0 -%}
        {{ exceptions.raise_compiler_error("var('incremental_lookback_hours') must be a number >= 0, got " ~ lookback) }}
    {%- endif -%}
    (
        select {{ dbt.dateadd('minute', -1 * (lookback * 60) | int, 'max(' ~ column ~ ')') }}
        from {{ relation if relation is not none else this }}
    )
{%- endmacro %}
