{#-
    Does first-week engagement predict retention? Users are bucketed by the number of distinct
    days they were active in days 0-6 after sign-up (day 0 = the sign-up date, reporting time
    zone); for each bucket, the share of users active in week 4, 8 and 12 after sign-up (days
    7N .. 7N+6). A user counts for week N only when that whole week lies within the data
    (sign-up date + 7N + 6 <= last event date), so every rate has a complete denominator.
-#}
{%- set retention_weeks = [4, 8, 12] -%}

with

users as (

    select
        user_id,
        signup_date
    from {{ ref('dim_users') }}

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

last_event as (

    select max(event_date) as last_event_date
    from events

),

-- Buckets of first-week active days (0 to 7), in order; bounds inclusive.
buckets as (

    select
        0 as bucket_order,
        cast('0 days' as {{ dbt.type_string() }}) as first_week_bucket,
        0 as min_active_days,
        0 as max_active_days
    union all
    select
        1 as bucket_order,
        cast('1 day' as {{ dbt.type_string() }}) as first_week_bucket,
        1 as min_active_days,
        1 as max_active_days
    union all
    select
        2 as bucket_order,
        cast('2-3 days' as {{ dbt.type_string() }}) as first_week_bucket,
        2 as min_active_days,
        3 as max_active_days
    union all
    select
        3 as bucket_order,
        cast('4-7 days' as {{ dbt.type_string() }}) as first_week_bucket,
        4 as min_active_days,
        7 as max_active_days

),

retention_weeks as (

    {%- for week in retention_weeks %}
    select {{ week }} as retention_week
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

user_activity_days as (

    select
        activity.user_id,
        {{ dbt.datediff('users.signup_date', 'activity.activity_date', 'day') }} as days_since_signup
    from activity
    inner join users
        on activity.user_id = users.user_id

),

user_first_weeks as (

    select
        users.user_id,
        users.signup_date,
        count(distinct user_activity_days.days_since_signup) as first_week_active_days
    from users
    left join user_activity_days
        on
            users.user_id = user_activity_days.user_id
            and user_activity_days.days_since_signup between 0 and 6
    group by
        users.user_id,
        users.signup_date

),

users_bucketed as (

    select
        user_first_weeks.user_id,
        user_first_weeks.signup_date,
        buckets.bucket_order,
        buckets.first_week_bucket
    from user_first_weeks
    inner join buckets
        on user_first_weeks.first_week_active_days between buckets.min_active_days and buckets.max_active_days

),

eligible_user_weeks as (

    select
        users_bucketed.user_id,
        users_bucketed.bucket_order,
        retention_weeks.retention_week
    from users_bucketed
    cross join retention_weeks
    cross join last_event
    where
        {{ dbt.datediff('users_bucketed.signup_date', 'last_event.last_event_date', 'day') }}
        >= 7 * retention_weeks.retention_week + 6

),

retained_user_weeks as (

    select distinct
        user_activity_days.user_id,
        retention_weeks.retention_week
    from user_activity_days
    inner join retention_weeks
        on
            user_activity_days.days_since_signup >= 7 * retention_weeks.retention_week
            and user_activity_days.days_since_signup <= 7 * retention_weeks.retention_week + 6

),

bucket_weeks as (

    select
        eligible_user_weeks.retention_week,
        eligible_user_weeks.bucket_order,
        count(*) as eligible_users,
        count(retained_user_weeks.user_id) as retained_users
    from eligible_user_weeks
    left join retained_user_weeks
        on
            eligible_user_weeks.user_id = retained_user_weeks.user_id
            and eligible_user_weeks.retention_week = retained_user_weeks.retention_week
    group by
        eligible_user_weeks.retention_week,
        eligible_user_weeks.bucket_order

),

buckets_spined as (

    select
        retention_weeks.retention_week,
        buckets.bucket_order,
        buckets.first_week_bucket,
        buckets.min_active_days,
        buckets.max_active_days,
        coalesce(bucket_weeks.eligible_users, 0) as eligible_users,
        coalesce(bucket_weeks.retained_users, 0) as retained_users
    from retention_weeks
    cross join buckets
    left join bucket_weeks
        on
            retention_weeks.retention_week = bucket_weeks.retention_week
            and buckets.bucket_order = bucket_weeks.bucket_order

),

final as (

    select
        first_week_bucket,
        cast(retention_week as integer) as retention_week,
        cast(bucket_order as integer) as bucket_order,
        cast(min_active_days as integer) as min_first_week_active_days,
        cast(max_active_days as integer) as max_first_week_active_days,
        cast(sum(eligible_users) over (partition by retention_week) as {{ dbt.type_bigint() }}) as cohort_users,
        cast(eligible_users as {{ dbt.type_bigint() }}) as eligible_users,
        cast(retained_users as {{ dbt.type_bigint() }}) as retained_users,
        {{ safe_divide('retained_users', 'eligible_users') }} as retention_rate,
        {{ safe_divide('eligible_users', 'sum(eligible_users) over (partition by retention_week)') }}
            as share_of_cohort
    from buckets_spined

)

select * from final
