{#-
    The L28 histogram: how many users were active on exactly k of the 28 days ending on the as-of date, for
    k = 1 .. 28. The as-of date is the last data date (the last day of dim_date, which is the last complete
    day of the data). Every k appears (0 users when none).
-#}
{%- set window_days = 28 -%}

with

activity as (

    select
        user_id,
        activity_date
    from {{ ref('fct_user_activity_daily') }}

),

calendar as (

    select date_day from {{ ref('dim_date') }}

),

as_of as (

    select max(date_day) as as_of_date from calendar

),

active_day_buckets as (

    select cast(generated_number as integer) as active_days
    from ({{ dbt.generate_series(window_days) }}) as numbers

),

user_active_days as (

    select
        activity.user_id,
        count(*) as active_days
    from activity
    cross join as_of
    where
        activity.activity_date <= as_of.as_of_date
        and activity.activity_date > {{ period_add('day', 'as_of.as_of_date', -window_days) }}
    group by activity.user_id

),

users_per_bucket as (

    select
        active_days,
        count(*) as users
    from user_active_days
    group by active_days

),

buckets_filled as (

    select
        active_day_buckets.active_days,
        coalesce(users_per_bucket.users, 0) as users
    from active_day_buckets
    left join users_per_bucket
        on active_day_buckets.active_days = users_per_bucket.active_days

),

buckets_accumulated as (

    select
        active_days,
        users,
        sum(users) over () as l28_active_users,
        sum(users) over (
            order by active_days desc
            rows between unbounded preceding and current row
        ) as users_active_at_least
    from buckets_filled

),

final as (

    select
        as_of.as_of_date,
        cast(buckets_accumulated.active_days as integer) as active_days,
        cast(buckets_accumulated.users as {{ dbt.type_bigint() }}) as users,
        cast(buckets_accumulated.users_active_at_least as {{ dbt.type_bigint() }}) as users_active_at_least,
        {{ safe_divide('buckets_accumulated.users', 'buckets_accumulated.l28_active_users') }} as share_of_active_users,
        {{ safe_divide('buckets_accumulated.users_active_at_least', 'buckets_accumulated.l28_active_users') }}
            as share_active_at_least
    from buckets_accumulated
    cross join as_of
    where as_of.as_of_date is not null

)

select * from final
