{#-
    One row per backtest as-of date and probability decile (1 = least risky tenth of users): mean predicted churn
    probability against the observed churn rate, for the calibration and lift charts.
-#}
with

backtest as (

    select
        user_id,
        churn_probability,
        is_churned,
        as_of_date
    from {{ ref('stg_ml__churn_backtest') }}

),

deciled as (

    select
        as_of_date,
        churn_probability,
        is_churned,
        ntile(10) over (partition by as_of_date order by churn_probability, user_id) as probability_decile
    from backtest

),

final as (

    select
        cast(probability_decile as integer) as probability_decile,
        cast(count(*) as {{ dbt.type_bigint() }}) as users,
        cast(sum(case when is_churned then 1 else 0 end) as {{ dbt.type_bigint() }}) as churned_users,
        {{ round_float('avg(churn_probability)', 9) }} as mean_probability,
        {{ round_float('avg(case when is_churned then 1.0 else 0.0 end)', 9) }} as churn_rate,
        as_of_date
    from deciled
    group by as_of_date, probability_decile

)

select * from final
