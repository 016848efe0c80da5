with

source as (

    select * from {{ source('raw', 'sessions') }}

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
    from source

)

select * from renamed
