{#-
    One row per user per active day (reporting time zone): a day with at least one activity event
    (var('activity_events'); empty = every event). Carries the user's sign-up attributes so metric marts
    can slice without another join.

    Incremental (delete+insert on user_id + activity_date): a refresh recounts the user-days of the activity events
    that arrived since the latest arrival the table holds (less var('incremental_lookback_hours')), and rewrites every
    day of the users whose attributes in dim_users changed (a late first activity moves first_active_date, a
    restated user row moves the segment): the same rows a rebuild gives.
-#}
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    unique_key=['user_id', 'activity_date'],
    incremental_strategy=incremental_strategy('keys'),
) }}

with

activity_events as (

    select
        user_id,
        event_date,
        loaded_at
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

{% if is_incremental() -%}

arrived_user_days as (

    select distinct
        user_id,
        event_date as activity_date
    from activity_events
    where loaded_at > {{ incremental_watermark() }}

),

held_users as (

    select
        user_id,
        acquisition_channel,
        segment,
        device,
        country,
        signup_date,
        first_active_date
    from {{ this }}
    group by user_id, acquisition_channel, segment, device, country, signup_date, first_active_date

),

changed_users as (

    select distinct held_users.user_id
    from held_users
    left join users
        on held_users.user_id = users.user_id
    where users.acquisition_channel is distinct from held_users.acquisition_channel
        or users.segment is distinct from held_users.segment
        or users.device is distinct from held_users.device
        or users.country is distinct from held_users.country
        or users.signup_date is distinct from held_users.signup_date
        or users.first_active_date is distinct from held_users.first_active_date

),

user_days_to_rebuild as (

    select
        user_id,
        activity_date
    from arrived_user_days

    union

    select
        held.user_id,
        held.activity_date
    from {{ this }} as held
    inner join changed_users
        on held.user_id = changed_users.user_id

),

user_days as (

    select
        activity_events.user_id,
        activity_events.event_date as activity_date,
        count(*) as events,
        max(activity_events.loaded_at) as loaded_at
    from activity_events
    inner join user_days_to_rebuild
        on activity_events.user_id = user_days_to_rebuild.user_id
            and activity_events.event_date = user_days_to_rebuild.activity_date
    group by activity_events.user_id, activity_events.event_date

),

{%- else %}

user_days as (

    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        max(loaded_at) as loaded_at
    from activity_events
    group by user_id, event_date

),

{%- endif %}

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
        users.first_active_date,
        cast(user_days.loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from user_days
    left join users
        on user_days.user_id = users.user_id

)

select * from final
