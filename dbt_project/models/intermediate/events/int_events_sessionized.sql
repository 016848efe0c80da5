{#-
    One row per distinct event, with the session it belongs to.
    When the source reports sessions (raw.sessions has rows), events keep the tracker's session_id (and no
    window runs).
    When raw.sessions is empty, sessions are derived per user: an event more than
    var('session_timeout_minutes') after the user's previous event starts a new session
    (a gap of exactly the timeout stays in the session). Derived ids are '<user_id>-s<n>'.
-#}
{%- set timeout_minutes = var('session_timeout_minutes', 30) -%}
{%- if timeout_minutes is not number or timeout_minutes <= 0 -%}
    {{ exceptions.raise_compiler_error("var('session_timeout_minutes') must be a positive number, got " ~ timeout_minutes) }}
{%- endif -%}

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

events_with_previous as (

    select
        *,
        lag(occurred_at) over (
            partition by user_id
            order by occurred_at, event_id
        ) as previous_occurred_at
    from events_to_sessionize

),

session_starts_flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ dbt.dateadd('minute', timeout_minutes, 'previous_occurred_at') }} then 1
            else 0
        end as is_session_start
    from events_with_previous

),

sessions_numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by user_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from session_starts_flagged

),

events_with_derived_sessions as (

    select
        event_id,
        user_id,
        user_id || '-s' || cast(session_number as {{ dbt.type_string() }}) as session_id,
        event_name,
        device,
        properties,
        amount,
        true as is_session_derived,
        occurred_at,
        occurred_at_local,
        loaded_at
    from sessions_numbered

),

final as (

    select * from events_with_reported_sessions
    union all
    select * from events_with_derived_sessions

)

select * from final
