{#-
    One row per session. Tracker-reported sessions (raw.sessions) when the source has any; otherwise
    sessions derived from events by the inactivity timeout (see int_events_sessionized), with
    is_derived = true, channel 'unknown' and the device of the session's first event.
    session_date is the local (reporting time zone) date the session started.
-#}
with

raw_sessions as (

    select
        session_id,
        user_id,
        device,
        channel,
        started_at,
        ended_at,
        started_at_local
    from {{ ref('stg_raw__sessions') }}

),

events as (

    select
        session_id,
        user_id,
        device,
        occurred_at,
        occurred_at_local
    from {{ ref('fct_events') }}
    where session_id is not null

),

events_per_session as (

    select
        session_id,
        count(*) as events
    from events
    group by session_id

),

reported_sessions as (

    select
        raw_sessions.session_id,
        raw_sessions.user_id,
        raw_sessions.device,
        raw_sessions.channel,
        coalesce(events_per_session.events, 0) as events,
        false as is_derived,
        raw_sessions.started_at,
        raw_sessions.ended_at,
        raw_sessions.started_at_local
    from raw_sessions
    left join events_per_session
        on raw_sessions.session_id = events_per_session.session_id

),

session_source as (

    {#- Derive only when the source reports no session at all (a count: see int_events_sessionized). #}
    select count(*) = 0 as is_derived_from_events from raw_sessions

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
        min(events.occurred_at_local) as started_at_local
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
        cast(started_at_local as {{ dbt.type_timestamp() }}) as started_at_local
    from sessions_unioned

)

select * from final
