{#-
    One row per distinct event, with the session it belongs to.
    When the source reports sessions (raw.sessions has rows), events keep the tracker's session_id.
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

events_with_previous as (

    select
        *,
        lag(occurred_at) over (
            partition by user_id
            order by occurred_at, event_id
        ) as previous_occurred_at
    from events

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

final as (

    select
        sessions_numbered.event_id,
        sessions_numbered.user_id,
        case
            when session_source.has_raw_sessions then sessions_numbered.session_id
            else sessions_numbered.user_id || '-s' || cast(sessions_numbered.session_number as {{ dbt.type_string() }})
        end as session_id,
        sessions_numbered.event_name,
        sessions_numbered.device,
        sessions_numbered.properties,
        sessions_numbered.amount,
        not session_source.has_raw_sessions as is_session_derived,
        sessions_numbered.occurred_at,
        sessions_numbered.occurred_at_local,
        sessions_numbered.loaded_at
    from sessions_numbered
    cross join session_source

)

select * from final
