with

source as (

    select * from {{ source('raw', 'payments') }}

),

renamed as (

    select
        cast(payment_id as {{ dbt.type_string() }}) as payment_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(retry_of_payment_id as {{ dbt.type_string() }}) as retry_of_payment_id,
        cast(refunded_payment_id as {{ dbt.type_string() }}) as refunded_payment_id,
        cast(payment_type as {{ dbt.type_string() }}) as payment_type,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(failure_reason as {{ dbt.type_string() }}) as failure_reason,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(attempt_number as {{ dbt.type_int() }}) as attempt_number,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        {{ to_reporting_tz('created_at') }} as created_at_local,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
