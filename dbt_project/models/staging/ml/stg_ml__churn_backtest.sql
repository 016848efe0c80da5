with

source as (

    select * from {{ source('ml', 'churn_backtest') }}

),

renamed as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(churn_probability as {{ type_double() }}) as churn_probability,
        cast(recency_score as {{ type_double() }}) as recency_score,
        cast(planted_propensity as {{ type_double() }}) as planted_propensity,
        cast(is_churned as boolean) as is_churned,
        cast(as_of_date as date) as as_of_date
    from source

)

select * from renamed
