{#-
    fct_daily_metrics adds up to its sources: DAU per day = active user-days of fct_user_activity_daily,
    and the totals of sign-ups, events, sessions and revenue equal those of dim_users, fct_events,
    fct_sessions and int_revenue_transactions within the calendar. Returns a row per mismatch.
-#}
with

calendar_bounds as (

    select
        min(date_day) as first_date,
        max(date_day) as last_date
    from {{ ref('dim_date') }}

),

daily as (

    select * from {{ ref('fct_daily_metrics') }}

),

activity_per_day as (

    select
        activity_date,
        count(*) as active_users
    from {{ ref('fct_user_activity_daily') }}
    group by activity_date

),

dau_mismatches as (

    select
        'dau' as metric,
        daily.date_day
    from daily
    left join activity_per_day
        on daily.date_day = activity_per_day.activity_date
    where daily.dau <> coalesce(activity_per_day.active_users, 0)

),

signups_in_range as (

    select count(*) as signups
    from {{ ref('dim_users') }} as users
    inner join calendar_bounds
        on users.signup_date between calendar_bounds.first_date and calendar_bounds.last_date

),

sessions_in_range as (

    select count(*) as sessions
    from {{ ref('fct_sessions') }} as sessions
    inner join calendar_bounds
        on sessions.session_date between calendar_bounds.first_date and calendar_bounds.last_date

),

revenue_in_range as (

    select coalesce(sum(transactions.amount), 0) as revenue
    from {{ ref('int_revenue_transactions') }} as transactions
    inner join calendar_bounds
        on transactions.revenue_date between calendar_bounds.first_date and calendar_bounds.last_date

),

all_events as (

    select count(*) as events
    from {{ ref('fct_events') }}

),

expected_totals as (

    select
        signups_in_range.signups,
        all_events.events,
        sessions_in_range.sessions,
        revenue_in_range.revenue
    from signups_in_range
    cross join all_events
    cross join sessions_in_range
    cross join revenue_in_range

),

actual_totals as (

    select
        coalesce(sum(signups), 0) as signups,
        coalesce(sum(events), 0) as events,
        coalesce(sum(sessions), 0) as sessions,
        coalesce(sum(revenue), 0) as revenue
    from daily

),

total_mismatches as (

    select
        'totals' as metric,
        cast(null as date) as date_day
    from expected_totals
    cross join actual_totals
    where
        expected_totals.signups <> actual_totals.signups
        or expected_totals.events <> actual_totals.events
        or expected_totals.sessions <> actual_totals.sessions
        or expected_totals.revenue <> actual_totals.revenue

)

select * from dau_mismatches
union all
select * from total_mismatches
