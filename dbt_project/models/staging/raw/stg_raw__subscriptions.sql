with

source as (

    select * from {{ source('raw', 'subscriptions') }}

),

renamed as (

    select
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(change_type as {{ dbt.type_string() }}) as change_type,
        cast(version as {{ dbt.type_int() }}) as version,
        cast(valid_from as {{ dbt.type_timestamp() }}) as valid_from,
        cast(valid_to as {{ dbt.type_timestamp() }}) as valid_to,
        cast(cancelled_at as {{ dbt.type_timestamp() }}) as cancelled_at,
        {{ to_reporting_tz('valid_from') }} as valid_from_local,
        {{ to_reporting_tz('valid_to') }} as valid_to_local,
        {{ to_reporting_tz('cancelled_at') }} as cancelled_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
