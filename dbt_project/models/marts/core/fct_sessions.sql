{#-
    One row per session. Tracker-reported sessions (raw.sessions) when the source has any; otherwise
    sessions derived from events by the inactivity timeout (see int_events_sessionized), with
    is_derived = true, channel 'unknown' and the device of the session's first event.
    session_date is the local (reporting time zone) date the session started.

    Incremental (strategy user_tail, macros/incremental/get_incremental_user_tail_sql.sql): for each user with events
    or tracker sessions that arrived since the latest arrival the table holds, every session from the user's last
    session starting at or before the earliest arrival is rebuilt and replaces the user's sessions from that start
    on, so sessions that a late event joined disappear.
-#}
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    unique_key='user_id',
    tail_column='started_at',
    incremental_strategy=incremental_strategy('user_tail'),
) }}

with

raw_sessions as (

    select
        session_id,
        user_id,
        device,
        channel,
        started_at,
        ended_at,
        started_at_local,
        loaded_at
    from {{ ref('stg_raw__sessions') }}

),

all_events as (

    select
        session_id,
        user_id,
        device,
        occurred_at,
        occurred_at_local,
        loaded_at
    from {{ ref('fct_events') }}
    where session_id is not null

),

session_source as (

    {#- Derive only when the source reports no session at all (a count: see int_events_sessionized). #}
    select count(*) = 0 as is_derived_from_events from raw_sessions

),

{% if is_incremental() -%}

arrivals as (

    {#- An arrived event counts from the start of its tracker session when it has one (its session is rebuilt). #}
    select
        coalesce(raw_sessions.user_id, all_events.user_id) as user_id,
        coalesce(raw_sessions.started_at, all_events.occurred_at) as arrived_at
    from all_events
    left join raw_sessions
        on all_events.session_id = raw_sessions.session_id
    where all_events.loaded_at > {{ incremental_watermark() }}

    union all

    select
        user_id,
        started_at as arrived_at
    from raw_sessions
    where loaded_at > {{ incremental_watermark() }}

),

users_with_arrivals as (

    select
        user_id,
        min(arrived_at) as first_arrived_at
    from arrivals
    group by user_id

),

user_tails as (

    {#- Rebuilt from the last session that started at or before the user's earliest arrival (from the arrival
        itself when there is none). With tracker sessions the arrival is an event of some earlier session or a
        new session; starting from the last session start at or before it covers both. #}
    select
        users_with_arrivals.user_id,
        coalesce(max(held.started_at), min(users_with_arrivals.first_arrived_at)) as tail_from
    from users_with_arrivals
    left join {{ this }} as held
        on users_with_arrivals.user_id = held.user_id
            and users_with_arrivals.first_arrived_at >= held.started_at
    group by users_with_arrivals.user_id

),

tail_raw_sessions as (

    select raw_sessions.*
    from raw_sessions
    inner join user_tails
        on raw_sessions.user_id = user_tails.user_id
    where raw_sessions.started_at >= user_tails.tail_from

),

events as (

    {#- Derived sessions: the users' events from the tail on. Tracker sessions: the events of the rebuilt sessions. #}
    select all_events.*
    from all_events
    inner join user_tails
        on all_events.user_id = user_tails.user_id
    cross join session_source
    where session_source.is_derived_from_events
        and all_events.occurred_at >= user_tails.tail_from

    union all

    select all_events.*
    from all_events
    where all_events.session_id in (select tail_raw_sessions.session_id from tail_raw_sessions)

),

{%- else %}

tail_raw_sessions as (

    select * from raw_sessions

),

events as (

    select * from all_events

),

{%- endif %}

events_per_session as (

    select
        session_id,
        count(*) as events,
        max(loaded_at) as loaded_at
    from events
    group by session_id

),

reported_sessions as (

    select
        tail_raw_sessions.session_id,
        tail_raw_sessions.user_id,
        tail_raw_sessions.device,
        tail_raw_sessions.channel,
        coalesce(events_per_session.events, 0) as events,
        false as is_derived,
        tail_raw_sessions.started_at,
        tail_raw_sessions.ended_at,
        tail_raw_sessions.started_at_local,
        case
            when events_per_session.loaded_at > tail_raw_sessions.loaded_at then events_per_session.loaded_at
            else tail_raw_sessions.loaded_at
        end as loaded_at
    from tail_raw_sessions
    left join events_per_session
        on tail_raw_sessions.session_id = events_per_session.session_id

),

derived_sessions as (

    select
        events.session_id,
        min(events.user_id) as user_id,
        {{ value_at_min('events.device', 'events.occurred_at') }} as device,
        'unknown' as channel,
        count(*) as events,
        true as is_derived,
        min(events.occurred_at) as started_at,
        max(events.occurred_at) as ended_at,
        min(events.occurred_at_local) as started_at_local,
        max(events.loaded_at) as loaded_at
    from events
    cross join session_source
    where session_source.is_derived_from_events
    group by events.session_id

),

sessions_unioned as (

    select * from reported_sessions
    union all
    select * from derived_sessions

),

final as (

    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(device as {{ dbt.type_string() }}) as device,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(floor({{ seconds_between('started_at', 'ended_at') }}) as {{ dbt.type_bigint() }}) as duration_seconds,
        cast(events as {{ dbt.type_bigint() }}) as events,
        is_derived,
        cast(started_at_local as date) as session_date,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(started_at_local as {{ dbt.type_timestamp() }}) as started_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from sessions_unioned

)

select * from final
