with

source as (

    select * from {{ source('ml', 'churn_feature_importance') }}

),

renamed as (

    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(importance as {{ type_double() }}) as importance,
        cast(importance_rank as integer) as importance_rank
    from source

)

select * from renamed
