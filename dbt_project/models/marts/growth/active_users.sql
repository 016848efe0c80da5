{#-
    Active users per day: one row per day of dim_date. DAU / WAU (7 days ending on the day) / MAU (30 days)
    come from fct_daily_metrics (computed there without a users x days grid); stickiness = DAU / MAU.
    The first 29 days of the data have a truncated MAU window (is_mau_window_complete = false).
-#}
with

daily_metrics as (

    select
        date_day,
        dau,
        wau,
        mau
    from {{ ref('fct_daily_metrics') }}

),

bounds as (

    select min(date_day) as first_date from daily_metrics

),

final as (

    select
        daily_metrics.date_day,
        daily_metrics.dau,
        daily_metrics.wau,
        daily_metrics.mau,
        {{ safe_divide('daily_metrics.dau', 'daily_metrics.mau') }} as stickiness,
        {{ safe_divide('daily_metrics.dau', 'daily_metrics.wau') }} as dau_over_wau,
        {{ safe_divide('daily_metrics.wau', 'daily_metrics.mau') }} as wau_over_mau,
        {{ dbt.datediff('bounds.first_date', 'daily_metrics.date_day', 'day') }} >= 6 as is_wau_window_complete,
        {{ dbt.datediff('bounds.first_date', 'daily_metrics.date_day', 'day') }} >= 29 as is_mau_window_complete
    from daily_metrics
    cross join bounds

)

select * from final
