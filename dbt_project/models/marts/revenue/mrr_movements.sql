{#-
    One row per month of dim_periods: the MRR bridge at customer (user) level. Every month's starting MRR is the
    previous month's ending MRR (0 in the first month), and
    starting + new + expansion - contraction - churned + reactivation = ending.
-#}
with

customer_months as (

    select
        user_id,
        month_start_date,
        movement_type,
        previous_mrr,
        mrr,
        mrr_change,
        was_paying,
        is_paying
    from {{ ref('mrr_customer_months') }}

),

months as (

    select
        period_start as month_start_date,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'month'

),

movements_per_month as (

    select
        month_start_date,
        sum(previous_mrr) as starting_mrr,
        sum(case when movement_type = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement_type = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement_type = 'contraction' then -mrr_change else 0 end) as contraction_mrr,
        sum(case when movement_type = 'churn' then -mrr_change else 0 end) as churned_mrr,
        sum(case when movement_type = 'reactivation' then mrr_change else 0 end) as reactivation_mrr,
        sum(mrr) as ending_mrr,
        sum(case when was_paying then 1 else 0 end) as paying_customers_start,
        sum(case when is_paying then 1 else 0 end) as paying_customers_end,
        sum(case when movement_type = 'new' then 1 else 0 end) as new_customers,
        sum(case when movement_type = 'expansion' then 1 else 0 end) as expansion_customers,
        sum(case when movement_type = 'contraction' then 1 else 0 end) as contraction_customers,
        sum(case when movement_type = 'churn' then 1 else 0 end) as churned_customers,
        sum(case when movement_type = 'reactivation' then 1 else 0 end) as reactivated_customers
    from customer_months
    group by month_start_date

),

final as (

    select
        months.month_start_date,
        cast(coalesce(movements_per_month.starting_mrr, 0) as numeric(18, 4)) as starting_mrr,
        cast(coalesce(movements_per_month.new_mrr, 0) as numeric(18, 4)) as new_mrr,
        cast(coalesce(movements_per_month.expansion_mrr, 0) as numeric(18, 4)) as expansion_mrr,
        cast(coalesce(movements_per_month.contraction_mrr, 0) as numeric(18, 4)) as contraction_mrr,
        cast(coalesce(movements_per_month.churned_mrr, 0) as numeric(18, 4)) as churned_mrr,
        cast(coalesce(movements_per_month.reactivation_mrr, 0) as numeric(18, 4)) as reactivation_mrr,
        cast(coalesce(movements_per_month.ending_mrr, 0) as numeric(18, 4)) as ending_mrr,
        cast(
            coalesce(movements_per_month.ending_mrr, 0) - coalesce(movements_per_month.starting_mrr, 0)
            as numeric(18, 4)
        ) as net_new_mrr,
        cast(12 * coalesce(movements_per_month.ending_mrr, 0) as numeric(18, 4)) as arr,
        cast(coalesce(movements_per_month.paying_customers_start, 0) as {{ dbt.type_bigint() }})
            as paying_customers_start,
        cast(coalesce(movements_per_month.paying_customers_end, 0) as {{ dbt.type_bigint() }})
            as paying_customers_end,
        cast(coalesce(movements_per_month.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        cast(coalesce(movements_per_month.expansion_customers, 0) as {{ dbt.type_bigint() }})
            as expansion_customers,
        cast(coalesce(movements_per_month.contraction_customers, 0) as {{ dbt.type_bigint() }})
            as contraction_customers,
        cast(coalesce(movements_per_month.churned_customers, 0) as {{ dbt.type_bigint() }}) as churned_customers,
        cast(coalesce(movements_per_month.reactivated_customers, 0) as {{ dbt.type_bigint() }})
            as reactivated_customers,
        months.is_complete_period
    from months
    left join movements_per_month
        on months.month_start_date = movements_per_month.month_start_date

)

select * from final
