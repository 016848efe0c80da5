{#-
    One row per distinct event, with the session it belongs to.
    When the source reports sessions (raw.sessions has rows), events keep the tracker's session_id (and no
    window runs).
    When raw.sessions is empty, sessions are derived per user: an event more than
    var('session_timeout_minutes') after the user's previous event starts a new session
    (a gap of exactly the timeout stays in the session). Derived ids are '<user_id>-<session start, to the
    second>' (macros/incremental/sessionize_events.sql): stable when the incremental fct_events recomputes a
    user's later sessions.
-#}

with

events as (

    select
        event_id,
        user_id,
        session_id,
        event_name,
        device,
        properties,
        amount,
        occurred_at,
        occurred_at_local,
        loaded_at
    from {{ ref('stg_raw__events') }}

),

raw_sessions as (

    select session_id from {{ ref('stg_raw__sessions') }}

),

session_source as (

    {#- A count, not exists(...): DuckDB plans an uncorrelated exists over a CTE badly at scale. #}
    select count(*) > 0 as has_raw_sessions from raw_sessions

),

events_with_reported_sessions as (

    select
        events.event_id,
        events.user_id,
        events.session_id,
        events.event_name,
        events.device,
        events.properties,
        events.amount,
        false as is_session_derived,
        events.occurred_at,
        events.occurred_at_local,
        events.loaded_at
    from events
    cross join session_source
    where session_source.has_raw_sessions

),

events_to_sessionize as (

    {#- Empty when the source reports sessions, so the window sorts below cost nothing then. #}
    select events.*
    from events
    cross join session_source
    where not session_source.has_raw_sessions

),

events_with_derived_sessions as (

    select
        event_id,
        user_id,
        session_id,
        event_name,
        device,
        properties,
        amount,
        true as is_session_derived,
        occurred_at,
        occurred_at_local,
        loaded_at
    from (
        {{ sessionize_events(
            'events_to_sessionize',
            ['event_id', 'user_id', 'event_name', 'device', 'properties', 'amount', 'occurred_at',
             'occurred_at_local', 'loaded_at'],
        ) | indent(8) }}
    ) as sessionized

),

final as (

    select * from events_with_reported_sessions
    union all
    select * from events_with_derived_sessions

)

select * from final
