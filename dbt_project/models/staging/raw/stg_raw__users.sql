with

source as (

    select * from {{ source('raw', 'users') }}

),

renamed as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(coalesce(acquisition_channel, 'unknown') as {{ dbt.type_string() }}) as acquisition_channel,
        cast(coalesce(device, 'unknown') as {{ dbt.type_string() }}) as device,
        cast(coalesce(country, 'unknown') as {{ dbt.type_string() }}) as country,
        cast(coalesce(segment, 'unknown') as {{ dbt.type_string() }}) as segment,
        cast(properties as {{ dbt.type_string() }}) as properties,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        {{ to_reporting_tz('created_at') }} as created_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
