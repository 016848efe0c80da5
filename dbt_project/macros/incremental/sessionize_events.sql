{#-
    Derived sessions: a select over `events` (a relation or CTE with user_id, event_id, occurred_at and `columns`)
    returning `columns` plus session_id. An event more than var('session_timeout_minutes') after the user's previous
    event starts a new session (a gap of exactly the timeout stays in the session). The id is
    '<user_id>-<start as YYYYMMDDTHHMMSS>': it depends only on the user and the session's first event, so a
    recompute of a user's later sessions (incremental fct_events) gives the ids a rebuild gives. Two sessions of a
    user start more than the timeout apart, so the second-resolution start is unique per user.
    Used over all events (int_events_sessionized) and over the recomputed tails of the incremental fct_events.
-#}
{% macro sessionize_events(events, columns) -%}
    {%- set timeout_minutes = var('session_timeout_minutes', 30) -%}
    {%- if timeout_minutes is not number or timeout_minutes <= 0 -%}
        {{ exceptions.raise_compiler_error("var('session_timeout_minutes') must be a positive number, got " ~ timeout_minutes) }}
    {%- endif %}
    select
        {% for column in columns -%}
        {{ column }},
        {% endfor -%}
        user_id || '-' || {{ timestamp_key('session_started_at') }} as session_id
    from (
        select
            *,
            max(case when is_session_start = 1 then occurred_at end) over (
                partition by user_id
                order by occurred_at, event_id
                rows between unbounded preceding and current row
            ) as session_started_at
        from (
            select
                *,
                case
                    when previous_occurred_at is null then 1
                    when occurred_at > {{ dbt.dateadd('minute', timeout_minutes, 'previous_occurred_at') }} then 1
                    else 0
                end as is_session_start
            from (
                select
                    *,
                    lag(occurred_at) over (
                        partition by user_id
                        order by occurred_at, event_id
                    ) as previous_occurred_at
                from {{ events }}
            ) as events_with_previous
        ) as session_starts_flagged
    ) as session_starts_carried
{%- endmacro %}
