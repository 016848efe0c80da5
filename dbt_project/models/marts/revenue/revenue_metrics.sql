{#-
    One row per month of dim_periods: revenue and the ratios built on it, for the whole business. Counts are the
    sums of revenue_metrics_by_channel (each user belongs to one acquisition channel); ratios are recomputed
    from the summed counts, never averaged across channels.
-#}
with

by_channel as (

    select * from {{ ref('revenue_metrics_by_channel') }}

),

totals as (

    select
        month_start_date,
        sum(revenue) as revenue,
        sum(gross_revenue) as gross_revenue,
        sum(refunds) as refunds,
        sum(active_users) as active_users,
        sum(paying_users) as paying_users,
        sum(customers_start) as customers_start,
        sum(churned_customers) as churned_customers,
        sum(churn_base_revenue) as churn_base_revenue,
        sum(churned_revenue) as churned_revenue,
        sum(charge_attempts) as charge_attempts,
        sum(failed_charge_attempts) as failed_charge_attempts,
        sum(failed_first_attempts) as failed_first_attempts,
        sum(recovered_charges) as recovered_charges,
        bool_and(is_complete_period) as is_complete_period
    from by_channel
    group by month_start_date

),

ratios as (

    select
        *,
        {{ revenue_ratio_columns() }}
    from totals

),

final as (

    select
        month_start_date,
        cast(revenue as numeric(18, 2)) as revenue,
        cast(gross_revenue as numeric(18, 2)) as gross_revenue,
        cast(refunds as numeric(18, 2)) as refunds,
        cast(active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(paying_users as {{ dbt.type_bigint() }}) as paying_users,
        cast(customers_start as {{ dbt.type_bigint() }}) as customers_start,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(churn_base_revenue as numeric(18, 4)) as churn_base_revenue,
        cast(churned_revenue as numeric(18, 4)) as churned_revenue,
        cast(charge_attempts as {{ dbt.type_bigint() }}) as charge_attempts,
        cast(failed_charge_attempts as {{ dbt.type_bigint() }}) as failed_charge_attempts,
        cast(failed_first_attempts as {{ dbt.type_bigint() }}) as failed_first_attempts,
        cast(recovered_charges as {{ dbt.type_bigint() }}) as recovered_charges,
        arpu,
        arppu,
        customer_churn_rate,
        revenue_churn_rate,
        {{ safe_divide('arpu', 'customer_churn_rate') }} as ltv,
        payment_failure_rate,
        recovered_after_retry_rate,
        is_complete_period
    from ratios

)

select * from final
