{#-
    Subscription versions are restated state: a later delivery of a (subscription_id, version) carries what became
    known since (cancelled_at, valid_to), so the latest delivery (greatest loaded_at) is the row's current truth.
-#}
with

source as (

    select * from {{ source('raw', 'subscriptions') }}

),

deliveries_ranked as (

    select
        *,
        row_number() over (
            partition by subscription_id, version
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
    from latest_deliveries

)

select * from renamed
