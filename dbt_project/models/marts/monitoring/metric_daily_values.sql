{#-
    One row per day of dim_date per monitored metric: signups, dau, revenue (fct_daily_metrics) and, for every
    funnel step after the first, conversion_to_<step>: the share of the users who entered the funnel that day
    and reached the previous step who also reached this step within the conversion window
    (funnel_conversion_daily, by entry date). A day is complete for the daily counts once a later day has data
    (the last data day may be partial) and, for a conversion, once every entrant's window has closed;
    incomplete days have a null value.
-#}
with

daily_metrics as (

    select
        date_day,
        signups,
        dau,
        revenue
    from {{ ref('fct_daily_metrics') }}

),

funnel_daily as (

    select
        entry_date,
        step_name,
        step_number,
        step_users,
        previous_step_users,
        conversion_from_previous_step,
        is_window_closed
    from {{ ref('funnel_conversion_daily') }}

),

calendar as (

    select date_day from {{ ref('dim_date') }}

),

last_day as (

    select max(date_day) as last_date
    from calendar

),

daily_counts as (

    {% for metric in ['signups', 'dau', 'revenue'] -%}
    select
        daily_metrics.date_day as metric_date,
        '{{ metric }}' as metric_name,
        cast(null as {{ dbt.type_string() }}) as step_name,
        cast(daily_metrics.{{ metric }} as {{ type_double() }}) as metric_value,
        cast(null as {{ dbt.type_bigint() }}) as numerator,
        cast(null as {{ dbt.type_bigint() }}) as denominator,
        daily_metrics.date_day < last_day.last_date as is_complete
    from daily_metrics
    cross join last_day
    {% if not loop.last %}
    union all

    {% endif -%}
    {%- endfor %}
),

step_conversions as (

    select
        entry_date as metric_date,
        {{ dbt.concat(["'conversion_to_'", 'step_name']) }} as metric_name,
        step_name,
        cast(conversion_from_previous_step as {{ type_double() }}) as metric_value,
        cast(step_users as {{ dbt.type_bigint() }}) as numerator,
        cast(previous_step_users as {{ dbt.type_bigint() }}) as denominator,
        is_window_closed as is_complete
    from funnel_daily
    where step_number > 1

),

metrics_unioned as (

    select * from daily_counts
    union all
    select * from step_conversions

),

final as (

    select
        metric_date,
        cast(metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(step_name as {{ dbt.type_string() }}) as step_name,
        case when is_complete then metric_value end as metric_value,
        numerator,
        denominator,
        is_complete
    from metrics_unioned

)

select * from final
