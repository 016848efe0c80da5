{#-
    Every event with a session id belongs to a session of fct_sessions and is counted there: per session, the
    events of fct_events equal fct_sessions.events.
-#}
with

events_per_session as (

    select
        session_id,
        count(*) as events
    from {{ ref('fct_events') }}
    where session_id is not null
    group by session_id

),

sessions as (

    select
        session_id,
        events
    from {{ ref('fct_sessions') }}

)

select
    events_per_session.session_id,
    events_per_session.events,
    sessions.events as session_events
from events_per_session
left join sessions
    on events_per_session.session_id = sessions.session_id
where
    sessions.session_id is null
    or events_per_session.events <> sessions.events
