{#-
    One row per period grain (day, week, month) per user per period in which the user was active: the
    user-period activity table that growth accounting and cohort retention count, built once from
    fct_user_activity_daily (set-based: active user-days grouped, never a users x periods grid). User
    attributes are joined after the grouping, so the groupings stay on (user_id, period).
-#}
with

activity as (

    select
        user_id,
        events,
        activity_date
    from {{ ref('fct_user_activity_daily') }}

),

users as (

    select
        user_id,
        acquisition_channel,
        segment,
        device,
        country
    from {{ ref('dim_users') }}

),

{%- for grain in ['day', 'week', 'month'] %}

activity_by_{{ grain }} as (

    select
        '{{ grain }}' as period_grain,
        user_id,
        count(*) as active_days,
        sum(events) as events,
        {{ period_start(grain, 'activity_date') }} as period_start
    from activity
    group by
        user_id,
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
        cast(activity_unioned.period_grain as {{ dbt.type_string() }}) as period_grain,
        cast(activity_unioned.user_id as {{ dbt.type_string() }}) as user_id,
        cast(users.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(users.segment as {{ dbt.type_string() }}) as segment,
        cast(users.device as {{ dbt.type_string() }}) as device,
        cast(users.country as {{ dbt.type_string() }}) as country,
        cast(activity_unioned.active_days as {{ dbt.type_bigint() }}) as active_days,
        cast(activity_unioned.events as {{ dbt.type_bigint() }}) as events,
        activity_unioned.period_start
    from activity_unioned
    left join users
        on activity_unioned.user_id = users.user_id

)

select * from final
