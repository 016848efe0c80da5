{#-
    One row per user per active day (reporting time zone): a day with at least one activity event
    (var('activity_events'); empty = every event). Carries the user's sign-up attributes so metric marts
    can slice without another join.
-#}
with

activity_events as (

    select
        user_id,
        event_date
    from {{ ref('fct_events') }}
    where is_activity_event

),

users as (

    select
        user_id,
        acquisition_channel,
        segment,
        device,
        country,
        signup_date,
        first_active_date
    from {{ ref('dim_users') }}

),

user_days as (

    select
        user_id,
        event_date as activity_date,
        count(*) as events
    from activity_events
    group by user_id, event_date

),

final as (

    select
        cast(user_days.user_id as {{ dbt.type_string() }}) as user_id,
        cast(users.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(users.segment as {{ dbt.type_string() }}) as segment,
        cast(users.device as {{ dbt.type_string() }}) as device,
        cast(users.country as {{ dbt.type_string() }}) as country,
        cast(user_days.events as {{ dbt.type_bigint() }}) as events,
        cast({{ dbt.datediff('users.signup_date', 'user_days.activity_date', 'day') }} as integer) as days_since_signup,
        cast({{ dbt.datediff('users.first_active_date', 'user_days.activity_date', 'day') }} as integer)
            as days_since_first_active,
        user_days.activity_date,
        users.signup_date,
        users.first_active_date
    from user_days
    left join users
        on user_days.user_id = users.user_id

)

select * from final
