{#-
    One row per period grain (day, week, month) per user per period in which the user was active: the
    user-period activity table that growth accounting and cohort retention count, built once from
    fct_user_activity_daily (set-based: active user-days grouped, never a users x periods grid).
-#}
with

activity as (

    select
        user_id,
        acquisition_channel,
        segment,
        device,
        country,
        events,
        activity_date
    from {{ ref('fct_user_activity_daily') }}

),

{%- for grain in ['day', 'week', 'month'] %}

activity_by_{{ grain }} as (

    select
        '{{ grain }}' as period_grain,
        user_id,
        acquisition_channel,
        segment,
        device,
        country,
        count(*) as active_days,
        sum(events) as events,
        {{ period_start(grain, 'activity_date') }} as period_start
    from activity
    group by
        user_id,
        acquisition_channel,
        segment,
        device,
        country,
        {{ period_start(grain, 'activity_date') }}

),
{%- endfor %}

activity_unioned as (

    select * from activity_by_day
    union all
    select * from activity_by_week
    union all
    select * from activity_by_month

),

final as (

    select
        cast(period_grain as {{ dbt.type_string() }}) as period_grain,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(device as {{ dbt.type_string() }}) as device,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(active_days as {{ dbt.type_bigint() }}) as active_days,
        cast(events as {{ dbt.type_bigint() }}) as events,
        period_start
    from activity_unioned

)

select * from final
