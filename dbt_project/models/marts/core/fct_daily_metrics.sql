{#-
    One row per day of dim_date (reporting time zone): sign-ups, active users (DAU, WAU = active in the
    7 days ending that day, MAU = 30 days), sessions started, events, activations and net revenue.

    WAU/MAU without a users x days grid: each active day a of a user "covers" the days from a up to the
    day before the user's next active day, at most W days (W = 7 or 30). These stretches do not overlap
    within a user, so the number of stretches covering day d is the number of users active in the W days
    ending on d. A +1 at each stretch start and a -1 after its end, summed cumulatively over the calendar,
    gives the count: O(active user-days), not O(users x days).
-#}
with

calendar as (

    select date_day from {{ ref('dim_date') }}

),

activity as (

    select
        user_id,
        activity_date
    from {{ ref('fct_user_activity_daily') }}

),

users as (

    select
        signup_date,
        activation_date
    from {{ ref('dim_users') }}

),

sessions as (

    select session_date from {{ ref('fct_sessions') }}

),

events as (

    select event_date from {{ ref('fct_events') }}

),

revenue_transactions as (

    select
        revenue_date,
        amount
    from {{ ref('int_revenue_transactions') }}

),

activity_with_next as (

    select
        activity_date,
        lead(activity_date) over (partition by user_id order by activity_date) as next_activity_date
    from activity

),

window_edges as (

    {#- One row per window edge: +1 where a user's stretch starts, -1 on the first day after it ends. #}
    select
        activity_date as date_day,
        1 as dau_delta,
        1 as wau_delta,
        1 as mau_delta
    from activity_with_next

    union all

    select
        {{ period_add('day', 'activity_date', 1) }} as date_day,
        -1 as dau_delta,
        0 as wau_delta,
        0 as mau_delta
    from activity_with_next

    union all

    select
        case
            when next_activity_date is null or next_activity_date > {{ period_add('day', 'activity_date', 7) }}
                then {{ period_add('day', 'activity_date', 7) }}
            else next_activity_date
        end as date_day,
        0 as dau_delta,
        -1 as wau_delta,
        0 as mau_delta
    from activity_with_next

    union all

    select
        case
            when next_activity_date is null or next_activity_date > {{ period_add('day', 'activity_date', 30) }}
                then {{ period_add('day', 'activity_date', 30) }}
            else next_activity_date
        end as date_day,
        0 as dau_delta,
        0 as wau_delta,
        -1 as mau_delta
    from activity_with_next

),

edges_per_day as (

    select
        date_day,
        sum(dau_delta) as dau_delta,
        sum(wau_delta) as wau_delta,
        sum(mau_delta) as mau_delta
    from window_edges
    group by date_day

),

active_users_per_day as (

    select
        calendar.date_day,
        sum(coalesce(edges_per_day.dau_delta, 0)) over (
            order by calendar.date_day rows between unbounded preceding and current row
        ) as dau,
        sum(coalesce(edges_per_day.wau_delta, 0)) over (
            order by calendar.date_day rows between unbounded preceding and current row
        ) as wau,
        sum(coalesce(edges_per_day.mau_delta, 0)) over (
            order by calendar.date_day rows between unbounded preceding and current row
        ) as mau
    from calendar
    left join edges_per_day
        on calendar.date_day = edges_per_day.date_day

),

signups_per_day as (

    select
        signup_date as date_day,
        count(*) as signups
    from users
    group by signup_date

),

activations_per_day as (

    select
        activation_date as date_day,
        count(*) as activations
    from users
    where activation_date is not null
    group by activation_date

),

sessions_per_day as (

    select
        session_date as date_day,
        count(*) as sessions
    from sessions
    group by session_date

),

events_per_day as (

    select
        event_date as date_day,
        count(*) as events
    from events
    group by event_date

),

revenue_per_day as (

    select
        revenue_date as date_day,
        sum(amount) as revenue
    from revenue_transactions
    group by revenue_date

),

final as (

    select
        calendar.date_day,
        cast(coalesce(signups_per_day.signups, 0) as {{ dbt.type_bigint() }}) as signups,
        cast(active_users_per_day.dau as {{ dbt.type_bigint() }}) as dau,
        cast(active_users_per_day.wau as {{ dbt.type_bigint() }}) as wau,
        cast(active_users_per_day.mau as {{ dbt.type_bigint() }}) as mau,
        cast(coalesce(sessions_per_day.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,
        cast(coalesce(events_per_day.events, 0) as {{ dbt.type_bigint() }}) as events,
        cast(coalesce(activations_per_day.activations, 0) as {{ dbt.type_bigint() }}) as activations,
        cast(coalesce(revenue_per_day.revenue, 0) as numeric(18, 2)) as revenue
    from calendar
    inner join active_users_per_day
        on calendar.date_day = active_users_per_day.date_day
    left join signups_per_day
        on calendar.date_day = signups_per_day.date_day
    left join activations_per_day
        on calendar.date_day = activations_per_day.date_day
    left join sessions_per_day
        on calendar.date_day = sessions_per_day.date_day
    left join events_per_day
        on calendar.date_day = events_per_day.date_day
    left join revenue_per_day
        on calendar.date_day = revenue_per_day.date_day

)

select * from final
