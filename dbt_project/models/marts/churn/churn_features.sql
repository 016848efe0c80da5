{#-
    One row per user per as-of date: the features a churn model may use, computed only from activity strictly
    before the as-of date, and the label. As-of dates are the week starts (var('week_start')) from 28 days after
    the first data date to the day after the last one. A user is scored on an as-of date when they signed up
    before it and were active in the 28 days before it (a user already gone cannot churn again).
    Label: is_churned = no activity day in the var('churn_window_days') days from the as-of date on; null while
    that window reaches past the last data date.
-#}
{%- set window_days = var('churn_window_days') | int -%}
{%- set steps = get_funnel_steps() -%}

with

activity_days as (

    select
        user_id,
        activity_date,
        events
    from {{ ref('fct_user_activity_daily') }}

),

sessions as (

    select
        user_id,
        session_date,
        events,
        duration_seconds
    from {{ ref('fct_sessions') }}
    where user_id is not null

),

feature_first_uses as (

    select
        user_id,
        feature_name,
        min(event_date) as first_used_date
    from {{ ref('fct_events') }}
    where feature_name is not null
    group by user_id, feature_name

),

funnel_step_dates as (

    select
        user_id,
        case
            {%- for step in steps %}
            when event_name = '{{ step | replace("'", "''") }}' then {{ loop.index }}
            {%- endfor %}
        end as step_number,
        min(event_date) as reached_date
    from {{ ref('fct_events') }}
    where event_name in ({{ sql_string_list(steps) }})
    group by user_id, event_name

),

failed_payments as (

    select
        user_id,
        payment_date
    from {{ ref('fct_payments') }}
    where is_failed

),

paid_subscriptions as (

    select
        user_id,
        cast(paid_started_at as date) as paid_start_date,
        cast(ended_at as date) as paid_end_date
    from {{ ref('fct_subscriptions') }}
    where paid_started_at is not null

),

users as (

    select
        user_id,
        acquisition_channel,
        device,
        segment,
        signup_date
    from {{ ref('dim_users') }}

),

dates as (

    select
        date_day,
        week_start_date
    from {{ ref('dim_date') }}

),

bounds as (

    select
        min(date_day) as first_date,
        max(date_day) as last_date
    from dates

),

as_of_dates as (

    select distinct
        {{ period_add('day', 'dates.week_start_date', 7) }} as as_of_date,
        bounds.last_date
    from dates
    cross join bounds
    where
        {{ period_add('day', 'dates.week_start_date', 7) }} >= {{ period_add('day', 'bounds.first_date', 28) }}
        and {{ period_add('day', 'dates.week_start_date', 7) }} <= {{ period_add('day', 'bounds.last_date', 1) }}

),

{# each active day counts towards the as-of dates in the 56 days after it (last 28 days and the 28 before) #}
past_activity as (

    select
        as_of_dates.as_of_date,
        activity_days.user_id,
        activity_days.activity_date,
        activity_days.events,
        {{ dbt.datediff('activity_days.activity_date', 'as_of_dates.as_of_date', 'day') }} as days_before
    from activity_days
    inner join as_of_dates
        on
            activity_days.activity_date < as_of_dates.as_of_date
            and {{ period_add('day', 'activity_days.activity_date', 56) }} >= as_of_dates.as_of_date

),

recent_activity as (

    select
        as_of_date,
        user_id,
        min(days_before) as days_since_last_active,
        count(case when days_before <= 7 then 1 end) as active_days_7d,
        count(case when days_before <= 28 then 1 end) as active_days_28d,
        count(case when days_before > 28 then 1 end) as active_days_prior_28d,
        sum(case when days_before <= 28 then events else 0 end) as events_28d
    from past_activity
    group by as_of_date, user_id
    having count(case when days_before <= 28 then 1 end) > 0

),

scored_users as (

    select
        recent_activity.as_of_date,
        recent_activity.user_id,
        recent_activity.days_since_last_active,
        recent_activity.active_days_7d,
        recent_activity.active_days_28d,
        recent_activity.active_days_prior_28d,
        recent_activity.events_28d,
        users.acquisition_channel,
        users.device,
        users.segment,
        {{ dbt.datediff('users.signup_date', 'recent_activity.as_of_date', 'day') }} as tenure_days
    from recent_activity
    inner join users
        on recent_activity.user_id = users.user_id
    where users.signup_date < recent_activity.as_of_date

),

session_stats as (

    select
        scored_users.as_of_date,
        scored_users.user_id,
        count(*) as sessions_28d,
        avg(cast(sessions.events as {{ type_double() }})) as avg_session_events_28d,
        avg(cast(sessions.duration_seconds as {{ type_double() }})) as avg_session_seconds_28d
    from scored_users
    inner join sessions
        on
            scored_users.user_id = sessions.user_id
            and scored_users.as_of_date > sessions.session_date
            and {{ period_add('day', 'scored_users.as_of_date', -28) }} <= sessions.session_date
    group by scored_users.as_of_date, scored_users.user_id

),

feature_stats as (

    select
        scored_users.as_of_date,
        scored_users.user_id,
        count(*) as features_adopted
    from scored_users
    inner join feature_first_uses
        on
            scored_users.user_id = feature_first_uses.user_id
            and scored_users.as_of_date > feature_first_uses.first_used_date
    group by scored_users.as_of_date, scored_users.user_id

),

funnel_stats as (

    select
        scored_users.as_of_date,
        scored_users.user_id,
        max(funnel_step_dates.step_number) as funnel_stage_number,
        max(funnel_step_dates.reached_date) as funnel_stage_date
    from scored_users
    inner join funnel_step_dates
        on
            scored_users.user_id = funnel_step_dates.user_id
            and scored_users.as_of_date > funnel_step_dates.reached_date
    group by scored_users.as_of_date, scored_users.user_id

),

payment_stats as (

    select
        scored_users.as_of_date,
        scored_users.user_id,
        count(*) as failed_payments_90d
    from scored_users
    inner join failed_payments
        on
            scored_users.user_id = failed_payments.user_id
            and scored_users.as_of_date > failed_payments.payment_date
            and {{ period_add('day', 'scored_users.as_of_date', -90) }} <= failed_payments.payment_date
    group by scored_users.as_of_date, scored_users.user_id

),

paying_users as (

    select distinct
        scored_users.as_of_date,
        scored_users.user_id
    from scored_users
    inner join paid_subscriptions
        on
            scored_users.user_id = paid_subscriptions.user_id
            and scored_users.as_of_date > paid_subscriptions.paid_start_date
            and (
                paid_subscriptions.paid_end_date is null
                or scored_users.as_of_date <= paid_subscriptions.paid_end_date
            )

),

{# label: any active day in [as_of_date, as_of_date + window) #}
future_activity as (

    select distinct
        as_of_dates.as_of_date,
        activity_days.user_id
    from activity_days
    inner join as_of_dates
        on
            activity_days.activity_date >= as_of_dates.as_of_date
            and {{ period_add('day', 'activity_days.activity_date', -window_days) }} < as_of_dates.as_of_date

),

final as (

    select
        cast(scored_users.user_id as {{ dbt.type_string() }}) as user_id,
        cast(scored_users.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(scored_users.device as {{ dbt.type_string() }}) as device,
        cast(scored_users.segment as {{ dbt.type_string() }}) as segment,
        cast(coalesce(funnel_stats.funnel_stage_number, 0) as integer) as funnel_stage_number,
        cast(scored_users.tenure_days as integer) as tenure_days,
        cast(scored_users.days_since_last_active as integer) as days_since_last_active,
        cast(scored_users.active_days_7d as integer) as active_days_7d,
        cast(scored_users.active_days_28d as integer) as active_days_28d,
        cast(scored_users.active_days_prior_28d as integer) as active_days_prior_28d,
        cast(scored_users.active_days_28d - scored_users.active_days_prior_28d as integer) as active_days_change,
        cast(scored_users.events_28d as {{ dbt.type_bigint() }}) as events_28d,
        cast(coalesce(session_stats.sessions_28d, 0) as {{ dbt.type_bigint() }}) as sessions_28d,
        cast(coalesce(session_stats.avg_session_events_28d, 0) as {{ type_double() }}) as avg_session_events_28d,
        cast(coalesce(session_stats.avg_session_seconds_28d, 0) as {{ type_double() }}) as avg_session_seconds_28d,
        cast(coalesce(feature_stats.features_adopted, 0) as integer) as features_adopted,
        cast(
            {{ dbt.datediff('funnel_stats.funnel_stage_date', 'scored_users.as_of_date', 'day') }} as integer
        ) as days_in_funnel_stage,
        cast(coalesce(payment_stats.failed_payments_90d, 0) as integer) as failed_payments_90d,
        paying_users.user_id is not null as is_paying,
        case
            when {{ period_add('day', 'scored_users.as_of_date', window_days - 1) }} > as_of_dates.last_date
                then null
            else future_activity.user_id is null
        end as is_churned,
        scored_users.as_of_date
    from scored_users
    inner join as_of_dates
        on scored_users.as_of_date = as_of_dates.as_of_date
    left join session_stats
        on
            scored_users.as_of_date = session_stats.as_of_date
            and scored_users.user_id = session_stats.user_id
    left join feature_stats
        on
            scored_users.as_of_date = feature_stats.as_of_date
            and scored_users.user_id = feature_stats.user_id
    left join funnel_stats
        on
            scored_users.as_of_date = funnel_stats.as_of_date
            and scored_users.user_id = funnel_stats.user_id
    left join payment_stats
        on
            scored_users.as_of_date = payment_stats.as_of_date
            and scored_users.user_id = payment_stats.user_id
    left join paying_users
        on
            scored_users.as_of_date = paying_users.as_of_date
            and scored_users.user_id = paying_users.user_id
    left join future_activity
        on
            scored_users.as_of_date = future_activity.as_of_date
            and scored_users.user_id = future_activity.user_id

)

select * from final
