{#-
    One row per user: sign-up attributes, activation and lifetime activity.
    Activation = the user's first event named activation_event() (var('activation_event'), default the
    second funnel step). Activity = events flagged is_activity_event in fct_events.
-#}
{%- set activation_literal = "'" ~ (activation_event() | replace("'", "''")) ~ "'" -%}

with

users as (

    select
        user_id,
        email,
        acquisition_channel,
        device,
        country,
        segment,
        created_at,
        created_at_local
    from {{ ref('stg_raw__users') }}

),

events as (

    select
        user_id,
        event_name,
        is_activity_event,
        event_date,
        occurred_at,
        occurred_at_local
    from {{ ref('fct_events') }}

),

user_event_stats as (

    select
        user_id,
        count(*) as lifetime_events,
        count(distinct case when is_activity_event then event_date end) as lifetime_active_days,
        min(case when is_activity_event then event_date end) as first_active_date,
        max(case when is_activity_event then event_date end) as last_active_date,
        min(case when event_name = {{ activation_literal }} then occurred_at end) as activated_at,
        min(case when event_name = {{ activation_literal }} then occurred_at_local end) as activated_at_local
    from events
    group by user_id

),

final as (

    select
        cast(users.user_id as {{ dbt.type_string() }}) as user_id,
        cast(users.email as {{ dbt.type_string() }}) as email,
        cast(users.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(users.device as {{ dbt.type_string() }}) as device,
        cast(users.country as {{ dbt.type_string() }}) as country,
        cast(users.segment as {{ dbt.type_string() }}) as segment,
        cast(coalesce(user_event_stats.lifetime_events, 0) as {{ dbt.type_bigint() }}) as lifetime_events,
        cast(coalesce(user_event_stats.lifetime_active_days, 0) as {{ dbt.type_bigint() }}) as lifetime_active_days,
        user_event_stats.activated_at is not null as is_activated,
        cast(users.created_at_local as date) as signup_date,
        user_event_stats.first_active_date,
        user_event_stats.last_active_date,
        cast(user_event_stats.activated_at_local as date) as activation_date,
        cast(users.created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(user_event_stats.activated_at as {{ dbt.type_timestamp() }}) as activated_at
    from users
    left join user_event_stats
        on users.user_id = user_event_stats.user_id

)

select * from final
