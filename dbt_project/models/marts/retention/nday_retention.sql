{#-
    N-day retention by sign-up week and acquisition channel, for each N in var('retention_days').
    A user is eligible for day N when signup_date + N <= the last data date (so day N has been observed).
    retained_on_day: active exactly on day N after sign-up; retained_on_or_after: active on any day >= N
    ("unbounded" retention). Rates are over eligible users; null when none is eligible.
-#}
{%- set retention_days = var('retention_days', []) -%}
{%- if retention_days is string or retention_days | length == 0 -%}
    {{ exceptions.raise_compiler_error("var('retention_days') must be a non-empty list of whole days, got " ~ retention_days) }}
{%- endif -%}
{%- for n in retention_days if n is not number or n < 0 or n != n | int -%}
    {{ exceptions.raise_compiler_error("var('retention_days') must hold whole days >= 0, got " ~ n) }}
{%- endfor -%}

with

users as (

    select
        user_id,
        coalesce(acquisition_channel, 'unknown') as acquisition_channel,
        signup_date
    from {{ ref('dim_users') }}

),

activity as (

    select
        user_id,
        days_since_signup
    from {{ ref('fct_user_activity_daily') }}

),

calendar as (

    select date_day from {{ ref('dim_date') }}

),

bounds as (

    select max(date_day) as last_date from calendar

),

retention_days as (

    {% for n in retention_days | unique | sort -%}
    select {{ n | int }} as retention_day
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

user_last_activity as (

    select
        user_id,
        max(days_since_signup) as max_days_since_signup
    from activity
    group by user_id

),

users_active_on_day as (

    select
        activity.user_id,
        retention_days.retention_day
    from activity
    inner join retention_days
        on activity.days_since_signup = retention_days.retention_day

),

user_retention_days as (

    select
        users.user_id,
        users.acquisition_channel,
        {{ period_start('week', 'users.signup_date') }} as signup_week,
        retention_days.retention_day,
        {{ dbt.datediff('users.signup_date', 'bounds.last_date', 'day') }} >= retention_days.retention_day
            as is_eligible,
        users_active_on_day.user_id is not null as is_retained_on_day,
        coalesce(user_last_activity.max_days_since_signup >= retention_days.retention_day, false)
            as is_retained_on_or_after
    from users
    cross join retention_days
    cross join bounds
    left join user_last_activity
        on users.user_id = user_last_activity.user_id
    left join users_active_on_day
        on
            users.user_id = users_active_on_day.user_id
            and retention_days.retention_day = users_active_on_day.retention_day

),

retention_counts as (

    select
        signup_week,
        acquisition_channel,
        retention_day,
        count(*) as signed_up_users,
        sum(case when is_eligible then 1 else 0 end) as eligible_users,
        sum(case when is_eligible and is_retained_on_day then 1 else 0 end) as retained_on_day_users,
        sum(case when is_eligible and is_retained_on_or_after then 1 else 0 end) as retained_on_or_after_users
    from user_retention_days
    group by
        signup_week,
        acquisition_channel,
        retention_day

),

final as (

    select
        signup_week,
        cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(retention_day as integer) as retention_day,
        cast(signed_up_users as {{ dbt.type_bigint() }}) as signed_up_users,
        cast(eligible_users as {{ dbt.type_bigint() }}) as eligible_users,
        cast(retained_on_day_users as {{ dbt.type_bigint() }}) as retained_on_day_users,
        cast(retained_on_or_after_users as {{ dbt.type_bigint() }}) as retained_on_or_after_users,
        {{ safe_divide('retained_on_day_users', 'eligible_users') }} as retention_rate_on_day,
        {{ safe_divide('retained_on_or_after_users', 'eligible_users') }} as retention_rate_on_or_after,
        eligible_users = signed_up_users as is_fully_eligible
    from retention_counts

)

select * from final
