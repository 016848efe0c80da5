with

source as (

    select * from {{ source('ml', 'churn_scores') }}

),

renamed as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(reason_1 as {{ dbt.type_string() }}) as reason_1,
        cast(reason_2 as {{ dbt.type_string() }}) as reason_2,
        cast(reason_3 as {{ dbt.type_string() }}) as reason_3,
        cast(churn_probability as {{ type_double() }}) as churn_probability,
        cast(as_of_date as date) as as_of_date
    from source

)

select * from renamed
