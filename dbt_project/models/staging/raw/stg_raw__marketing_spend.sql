with

source as (

    select * from {{ source('raw', 'marketing_spend') }}

),

renamed as (

    select
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(spend_date as date) as spend_date,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
