{#-
    One row per distinct event (re-deliveries removed in staging), with its session (tracker-reported or
    derived), the product feature it names and whether it counts as activity (var('activity_events');
    an empty list means every event is activity). event_date is in var('reporting_timezone').

    Incremental (delete+insert on event_id): a refresh takes the events that arrived since the latest arrival the
    table holds (less var('incremental_lookback_hours')). With tracker sessions they are simply added. With derived
    sessions a late event can join or split sessions, so for every user with new events the events from the start
    of the user's last session that began at or before the earliest new event are sessionized again: the sessions
    before that point cannot change, and session ids depend only on user and start (the ids a rebuild gives).
-#}
{%- set activity_events = var('activity_events', []) -%}
{%- if activity_events is string -%}
    {%- set activity_events = [activity_events] -%}
{%- endif -%}
{%- set event_columns = ['event_id', 'user_id', 'event_name', 'device', 'properties', 'amount', 'occurred_at',
                         'occurred_at_local', 'loaded_at'] -%}
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    unique_key='event_id',
    incremental_strategy=incremental_strategy('keys'),
) }}
-- depends_on: {{ ref('stg_raw__events') }}
-- depends_on: {{ ref('stg_raw__sessions') }}

with

{% if is_incremental() -%}

arrived as (

    select
        {{ event_columns | join(',\n        ') }},
        session_id
    from {{ ref('stg_raw__events') }}
    where loaded_at > {{ incremental_watermark() }}

),

session_source as (

    select count(*) > 0 as has_raw_sessions from {{ ref('stg_raw__sessions') }}

),

reported_session_events as (

    select
        arrived.*,
        false as is_session_derived
    from arrived
    cross join session_source
    where session_source.has_raw_sessions

),

users_with_arrivals as (

    select
        arrived.user_id,
        min(arrived.occurred_at) as first_arrived_at
    from arrived
    cross join session_source
    where not session_source.has_raw_sessions
    group by arrived.user_id

),

earlier_session_starts as (

    select
        held.user_id,
        held.session_id,
        min(held.occurred_at) as started_at
    from {{ this }} as held
    inner join users_with_arrivals
        on held.user_id = users_with_arrivals.user_id
    where held.occurred_at <= users_with_arrivals.first_arrived_at
    group by held.user_id, held.session_id

),

user_tails as (

    {#- Each user's events are sessionized again from here on (the last session start at or before the earliest
        arrival; the arrival itself when the user has no earlier session). #}
    select
        users_with_arrivals.user_id,
        coalesce(max(earlier_session_starts.started_at), min(users_with_arrivals.first_arrived_at)) as tail_from
    from users_with_arrivals
    left join earlier_session_starts
        on users_with_arrivals.user_id = earlier_session_starts.user_id
    group by users_with_arrivals.user_id

),

tail_events as (

    select
        staged.event_id,
        staged.user_id,
        staged.event_name,
        staged.device,
        staged.properties,
        staged.amount,
        staged.occurred_at,
        staged.occurred_at_local,
        staged.loaded_at
    from {{ ref('stg_raw__events') }} as staged
    inner join user_tails
        on staged.user_id = user_tails.user_id
    where staged.occurred_at >= user_tails.tail_from

),

derived_session_events as (

    select
        *,
        true as is_session_derived
    from (
        {{ sessionize_events('tail_events', event_columns) | indent(8) }}
    ) as sessionized

),

events as (

    select
        {{ event_columns | join(', ') }}, session_id, is_session_derived
    from reported_session_events
    union all
    select
        {{ event_columns | join(', ') }}, session_id, is_session_derived
    from derived_session_events

),

{%- else %}

events as (

    select * from {{ ref('int_events_sessionized') }}

),

{%- endif %}

final as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(device as {{ dbt.type_string() }}) as device,
        cast(
            case
                when event_name = '{{ var("feature_event") | replace("'", "''") }}'
                    then {{ json_extract_text('properties', var('feature_property')) }}
            end as {{ dbt.type_string() }}
        ) as feature_name,
        cast(amount as numeric(18, 2)) as amount,
        {% if activity_events | length == 0 -%}
        true as is_activity_event,
        {%- else -%}
        event_name in ({{ sql_string_list(activity_events, "var('activity_events')") }}) as is_activity_event,
        {%- endif %}
        cast(occurred_at_local as date) as event_date,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(occurred_at_local as {{ dbt.type_timestamp() }}) as occurred_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from events

)

select * from final
