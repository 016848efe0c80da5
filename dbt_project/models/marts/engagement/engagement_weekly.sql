{#-
    Weekly engagement: how many users were active, how many sessions they had, how many events
    a session holds and how long it lasts. The weeks and their completeness come from dim_periods (weeks
    start on var('week_start')); days map to weeks through dim_date. Every week from the first to the last
    event date appears, with zeros when nothing happened.
-#}

with

sessions as (

    select
        session_id,
        user_id,
        duration_seconds,
        events,
        session_date
    from {{ ref('fct_sessions') }}

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

weekly_activity as (

    select
        calendar.week_start_date,
        count(distinct activity.user_id) as active_users
    from activity
    inner join calendar
        on activity.activity_date = calendar.date_day
    group by calendar.week_start_date

),

weekly_sessions as (

    select
        calendar.week_start_date,
        count(*) as sessions,
        count(distinct sessions.user_id) as session_users,
        sum(sessions.events) as session_events,
        avg(cast(sessions.duration_seconds as {{ type_double() }})) as avg_session_duration_seconds,
        {{ median('sessions.duration_seconds') }} as median_session_duration_seconds
    from sessions
    inner join calendar
        on sessions.session_date = calendar.date_day
    group by calendar.week_start_date

),

final as (

    select
        cast(coalesce(weekly_activity.active_users, 0) as {{ dbt.type_bigint() }}) as active_users,
        cast(coalesce(weekly_sessions.session_users, 0) as {{ dbt.type_bigint() }}) as session_users,
        cast(coalesce(weekly_sessions.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,
        cast(coalesce(weekly_sessions.session_events, 0) as {{ dbt.type_bigint() }}) as session_events,
        {{ safe_divide('weekly_sessions.sessions', 'weekly_sessions.session_users') }} as sessions_per_user,
        {{ safe_divide('weekly_sessions.session_events', 'weekly_sessions.sessions') }} as events_per_session,
        cast(weekly_sessions.avg_session_duration_seconds as {{ type_double() }}) as avg_session_duration_seconds,
        cast(weekly_sessions.median_session_duration_seconds as {{ type_double() }}) as median_session_duration_seconds,
        weeks.is_complete_period,
        weeks.week_start_date
    from weeks
    left join weekly_activity
        on weeks.week_start_date = weekly_activity.week_start_date
    left join weekly_sessions
        on weeks.week_start_date = weekly_sessions.week_start_date

)

select * from final
