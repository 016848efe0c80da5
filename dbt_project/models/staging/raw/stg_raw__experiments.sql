with

source as (

    select * from {{ source('raw', 'experiments') }}

),

renamed as (

    select
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(variant as {{ dbt.type_string() }}) as variant,
        cast(goal_event as {{ dbt.type_string() }}) as goal_event,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(planned_share as {{ dbt.type_float() }}) as planned_share,
        cast(conversion_window_days as {{ dbt.type_int() }}) as conversion_window_days,
        cast(is_control as {{ dbt.type_boolean() }}) as is_control,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
