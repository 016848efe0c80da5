{#-
    One row per distinct event (re-deliveries removed in staging), with its session (tracker-reported or
    derived), the product feature it names and whether it counts as activity (var('activity_events');
    an empty list means every event is activity). event_date is in var('reporting_timezone').
-#}
{%- set activity_events = var('activity_events', []) -%}
{%- if activity_events is string -%}
    {%- set activity_events = [activity_events] -%}
{%- endif -%}

with

events as (

    select * from {{ ref('int_events_sessionized') }}

),

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
