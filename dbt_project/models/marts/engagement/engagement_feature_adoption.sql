{#-
    Feature adoption: the share of each week's active users who used a feature that week.
    Feature events are fct_events rows with a feature_name (events named var('feature_event'),
    feature taken from property var('feature_property')). Every week of dim_periods (the first to the last
    event date) appears for every feature ever used.
-#}

with

events as (

    select
        user_id,
        feature_name,
        event_date
    from {{ ref('fct_events') }}

),

activity as (

    select
        user_id,
        activity_date
    from {{ ref('fct_user_activity_daily') }}

),

calendar as (

    select
        date_day,
        week_start_date
    from {{ ref('dim_date') }}

),

weeks as (

    select
        period_start as week_start_date,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'week'

),

features as (

    select distinct feature_name
    from events
    where feature_name is not null

),

weekly_active_users as (

    select distinct
        calendar.week_start_date,
        activity.user_id
    from activity
    inner join calendar
        on activity.activity_date = calendar.date_day

),

weekly_feature_users as (

    select
        calendar.week_start_date,
        events.feature_name,
        events.user_id,
        count(*) as feature_events
    from events
    inner join calendar
        on events.event_date = calendar.date_day
    where events.feature_name is not null
    group by
        calendar.week_start_date,
        events.feature_name,
        events.user_id

),

weekly_active_counts as (

    select
        week_start_date,
        count(*) as active_users
    from weekly_active_users
    group by week_start_date

),

weekly_feature_counts as (

    select
        weekly_feature_users.week_start_date,
        weekly_feature_users.feature_name,
        sum(weekly_feature_users.feature_events) as feature_events,
        sum(
            case when weekly_active_users.user_id is not null then 1 else 0 end
        ) as feature_users
    from weekly_feature_users
    left join weekly_active_users
        on
            weekly_feature_users.week_start_date = weekly_active_users.week_start_date
            and weekly_feature_users.user_id = weekly_active_users.user_id
    group by
        weekly_feature_users.week_start_date,
        weekly_feature_users.feature_name

),

final as (

    select
        features.feature_name,
        cast(coalesce(weekly_active_counts.active_users, 0) as {{ dbt.type_bigint() }}) as active_users,
        cast(coalesce(weekly_feature_counts.feature_users, 0) as {{ dbt.type_bigint() }}) as feature_users,
        cast(coalesce(weekly_feature_counts.feature_events, 0) as {{ dbt.type_bigint() }}) as feature_events,
        {{ safe_divide('coalesce(weekly_feature_counts.feature_users, 0)', 'weekly_active_counts.active_users') }}
            as adoption_rate,
        weeks.is_complete_period,
        weeks.week_start_date
    from weeks
    cross join features
    left join weekly_active_counts
        on weeks.week_start_date = weekly_active_counts.week_start_date
    left join weekly_feature_counts
        on
            weeks.week_start_date = weekly_feature_counts.week_start_date
            and features.feature_name = weekly_feature_counts.feature_name

)

select * from final
