{#-
    Weekly engagement: how many users were active, how many sessions they had, how many events
    a session holds and how long it lasts. Weeks follow var('week_start') through dim_date. Every
    week from the first to the last event date appears, with zeros when nothing happened.
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

events as (

    select event_date
    from {{ ref('fct_events') }}

),

calendar as (

    select
        date_day,
        week_start_date
    from {{ ref('dim_date') }}

),

data_range as (

    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from events

),

weeks as (

    select
        calendar.week_start_date,
        max(data_range.last_event_date) as last_event_date
    from calendar
    inner join data_range
        on calendar.date_day between data_range.first_event_date and data_range.last_event_date
    group by calendar.week_start_date

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
        avg(cast(sessions.duration_seconds as double precision)) as avg_session_duration_seconds,
        {{ median('sessions.duration_seconds') }} as median_session_duration_seconds
    from sessions
    inner join calendar
        on sessions.session_date = calendar.date_day
    group by calendar.week_start_date

),

final as (

    select
        cast(coalesce(weekly_activity.active_users, 0) as bigint) as active_users,
        cast(coalesce(weekly_sessions.session_users, 0) as bigint) as session_users,
        cast(coalesce(weekly_sessions.sessions, 0) as bigint) as sessions,
        cast(coalesce(weekly_sessions.session_events, 0) as bigint) as session_events,
        cast(weekly_sessions.sessions as double precision)
        / nullif(weekly_sessions.session_users, 0) as sessions_per_user,
        cast(weekly_sessions.session_events as double precision)
        / nullif(weekly_sessions.sessions, 0) as events_per_session,
        cast(weekly_sessions.avg_session_duration_seconds as double precision) as avg_session_duration_seconds,
        cast(weekly_sessions.median_session_duration_seconds as double precision) as median_session_duration_seconds,
        {{ dbt.dateadd('day', 6, 'weeks.week_start_date') }} <= weeks.last_event_date as is_complete_period,
        weeks.week_start_date
    from weeks
    left join weekly_activity
        on weeks.week_start_date = weekly_activity.week_start_date
    left join weekly_sessions
        on weeks.week_start_date = weekly_sessions.week_start_date

)

select * from final
