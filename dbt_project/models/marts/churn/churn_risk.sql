{#-
    One row per user per scored as-of date (the latest two, so that a week can be compared with the one before):
    the chosen model's churn probability, its risk band and the top three reasons in words, with the user's
    activity at that date from churn_features. Empty until python -m churn score has run.
    Bands: high = probability >= 0.5, medium >= 0.2, low below.
-#}
with

scores as (

    select
        user_id,
        model_name,
        reason_1,
        reason_2,
        reason_3,
        churn_probability,
        as_of_date
    from {{ ref('stg_ml__churn_scores') }}

),

features as (

    select
        user_id,
        acquisition_channel,
        segment,
        days_since_last_active,
        active_days_28d,
        as_of_date
    from {{ ref('churn_features') }}

),

final as (

    select
        cast(scores.user_id as {{ dbt.type_string() }}) as user_id,
        cast(scores.model_name as {{ dbt.type_string() }}) as model_name,
        cast(
            case
                when scores.churn_probability >= 0.5 then 'high'
                when scores.churn_probability >= 0.2 then 'medium'
                else 'low'
            end as {{ dbt.type_string() }}
        ) as risk_band,
        cast(scores.reason_1 as {{ dbt.type_string() }}) as reason_1,
        cast(scores.reason_2 as {{ dbt.type_string() }}) as reason_2,
        cast(scores.reason_3 as {{ dbt.type_string() }}) as reason_3,
        cast(features.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(features.segment as {{ dbt.type_string() }}) as segment,
        cast(scores.churn_probability as {{ type_double() }}) as churn_probability,
        cast(features.days_since_last_active as integer) as days_since_last_active,
        cast(features.active_days_28d as integer) as active_days_28d,
        scores.as_of_date
    from scores
    left join features
        on
            scores.user_id = features.user_id
            and scores.as_of_date = features.as_of_date

)

select * from final
