with

source as (

    select * from {{ source('raw', 'plans') }}

),

renamed as (

    select
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(plan_name as {{ dbt.type_string() }}) as plan_name,
        cast(billing_period as {{ dbt.type_string() }}) as billing_period,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(price as {{ dbt.type_numeric() }}) as price,
        cast(tier as {{ dbt.type_int() }}) as tier,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
