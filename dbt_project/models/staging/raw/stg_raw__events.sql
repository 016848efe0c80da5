{#-
    Trackers resend events: the same event_id can arrive more than once. Keep the first delivery
    (earliest loaded_at) of each event_id, so every downstream count is of distinct events.
    A table, unlike the other staging models: the deduplication is a window over every raw event, and its
    readers (sessionisation, revenue, experiments) and its own tests would each repeat it on a view.

    Incremental: a refresh reads only the raw rows that arrived since the latest arrival already held (less
    var('incremental_lookback_hours')), ranks them together with the kept delivery of the same event_ids and
    replaces those event_ids (delete+insert), so a re-delivery never makes a second event and the earliest
    delivery wins as in a full build.
-#}
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    unique_key='event_id',
    incremental_strategy=incremental_strategy('keys'),
) }}

with

source as (

    select * from {{ source('raw', 'events') }}
    {% if is_incremental() -%}
    where loaded_at > {{ incremental_watermark() }}
    {%- endif %}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(coalesce(device, 'unknown') as {{ dbt.type_string() }}) as device,
        cast(properties as {{ dbt.type_string() }}) as properties,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        {{ to_reporting_tz('occurred_at') }} as occurred_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

),

deliveries as (

    select * from renamed
    {% if is_incremental() %}
    union all

    {#- The delivery already kept for an event that arrives again competes with the new deliveries. #}
    select
        kept.event_id,
        kept.user_id,
        kept.session_id,
        kept.event_name,
        kept.device,
        kept.properties,
        kept.amount,
        kept.occurred_at,
        kept.occurred_at_local,
        kept.loaded_at
    from {{ this }} as kept
    where kept.event_id in (select renamed.event_id from renamed)
    {% endif %}

),

deliveries_ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by loaded_at, occurred_at
        ) as delivery_number
    from deliveries

),

final as (

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
    from deliveries_ranked
    where delivery_number = 1

)

select * from final
