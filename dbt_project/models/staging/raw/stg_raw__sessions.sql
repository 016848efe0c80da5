{#-
    Sessions are restated state: a tracker may report a session while it is open (ended_at null) and again once
    it has ended, so the latest delivery (greatest loaded_at) of each session_id is kept.
-#}
with

source as (

    select * from {{ source('raw', 'sessions') }}

),

deliveries_ranked as (

    select
        *,
        row_number() over (
            partition by session_id
            order by loaded_at desc, batch_id desc
        ) as delivery_rank
    from source

),

latest_deliveries as (

    select * from deliveries_ranked
    where delivery_rank = 1

),

renamed as (

    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(coalesce(device, 'unknown') as {{ dbt.type_string() }}) as device,
        cast(coalesce(channel, 'unknown') as {{ dbt.type_string() }}) as channel,
        cast(coalesce(country, 'unknown') as {{ dbt.type_string() }}) as country,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(coalesce(ended_at, started_at) as {{ dbt.type_timestamp() }}) as ended_at,
        {{ to_reporting_tz('started_at') }} as started_at_local,
        {{ to_reporting_tz('coalesce(ended_at, started_at)') }} as ended_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from latest_deliveries

)

select * from renamed
