{#-
    One row per day per monitored metric (metric_daily_values): the value against its trailing baseline, the
    var('anomaly_window_days') (28) days before it, the day itself excluded. z = (value - mean) / sample
    standard deviation; an anomaly is |z| > var('anomaly_z_threshold') (3) with at least
    var('anomaly_min_history_days') (14) days of history. Rows run over every calendar day, so the window is
    calendar days; incomplete days have no value and are neither scored nor part of a baseline.
-#}
{%- set window_days = var('anomaly_window_days', 28) | int -%}
{%- set min_history_days = var('anomaly_min_history_days', 14) | int -%}
{%- set z_threshold = var('anomaly_z_threshold', 3) | float -%}

with

metric_values as (

    select
        metric_date,
        metric_name,
        step_name,
        metric_value,
        is_complete
    from {{ ref('metric_daily_values') }}

),

baselines as (

    select
        *,
        avg(metric_value) over trailing_window as trailing_mean,
        stddev_samp(metric_value) over trailing_window as trailing_stddev,
        count(metric_value) over trailing_window as history_days
    from metric_values
    window trailing_window as (
        partition by metric_name
        order by metric_date
        rows between {{ window_days }} preceding and 1 preceding
    )

),

scored as (

    select
        *,
        case
            when metric_value is not null and history_days >= {{ min_history_days }}
                then {{ safe_divide('metric_value - trailing_mean', 'trailing_stddev') }}
        end as z_score
    from baselines

),

final as (

    select
        metric_date,
        metric_name,
        step_name,
        metric_value,
        {{ round_float('trailing_mean') }} as trailing_mean,
        {{ round_float('trailing_stddev') }} as trailing_stddev,
        cast(history_days as integer) as history_days,
        {{ round_float('z_score') }} as z_score,
        cast(
            case
                when z_score > {{ z_threshold }} then 'spike'
                when z_score < -{{ z_threshold }} then 'drop'
            end as {{ dbt.type_string() }}
        ) as anomaly_direction,
        coalesce(abs(z_score) > {{ z_threshold }}, false) as is_anomaly,
        is_complete
    from scored

)

select * from final
