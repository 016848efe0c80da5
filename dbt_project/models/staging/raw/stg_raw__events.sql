{#-
    Trackers resend events: the same event_id can arrive more than once. Keep the first delivery
    (earliest loaded_at) of each event_id, so every downstream count is of distinct events.
    A table, unlike the other staging models: the deduplication is a window over every raw event, and its
    readers (sessionisation, revenue, experiments) and its own tests would each repeat it on a view.
-#}
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('raw', 'events') }}

),

deliveries_ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by loaded_at, occurred_at
        ) as delivery_number
    from source

),

first_deliveries as (

    select * from deliveries_ranked
    where delivery_number = 1

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
    from first_deliveries

)

select * from renamed
