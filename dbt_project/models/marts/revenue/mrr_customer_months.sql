{#-
    One row per customer (user) per month, from the customer's first month with MRR > 0 to the last month of
    dim_periods: the customer's MRR (sum over their subscriptions), last month's, and the movement between them.
    movement_type: new (first paying month), reactivation (paying again after a month at 0), expansion,
    contraction, churn (from > 0 to 0), retained (unchanged, > 0) or inactive (0 after 0).
-#}
with

subscription_mrr as (

    select
        user_id,
        month_start_date,
        mrr
    from {{ ref('mrr') }}

),

months as (

    select
        period_start as month_start_date,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'month'

),

users as (

    select
        user_id,
        acquisition_channel
    from {{ ref('dim_users') }}

),

customer_mrr as (

    select
        user_id,
        month_start_date,
        sum(mrr) as mrr
    from subscription_mrr
    group by user_id, month_start_date

),

customer_first_months as (

    select
        user_id,
        min(month_start_date) as first_paying_month
    from customer_mrr
    where mrr > 0
    group by user_id

),

customer_month_grid as (

    select
        customer_first_months.user_id,
        months.month_start_date,
        months.is_complete_period,
        coalesce(customer_mrr.mrr, 0) as mrr
    from customer_first_months
    inner join months
        on customer_first_months.first_paying_month <= months.month_start_date
    left join customer_mrr
        on
            customer_first_months.user_id = customer_mrr.user_id
            and months.month_start_date = customer_mrr.month_start_date

),

customer_months_with_history as (

    select
        user_id,
        month_start_date,
        is_complete_period,
        mrr,
        coalesce(
            lag(mrr) over (partition by user_id order by month_start_date), 0
        ) as previous_mrr,
        coalesce(
            sum(case when mrr > 0 then 1 else 0 end) over (
                partition by user_id
                order by month_start_date
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as earlier_paying_months
    from customer_month_grid

),

customer_months_classified as (

    select
        *,
        case
            when previous_mrr = 0 and mrr > 0 and earlier_paying_months = 0 then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            when mrr > 0 then 'retained'
            else 'inactive'
        end as movement_type
    from customer_months_with_history

),

final as (

    select
        customer_months_classified.user_id,
        customer_months_classified.month_start_date,
        cast(coalesce(users.acquisition_channel, 'unknown') as {{ dbt.type_string() }}) as acquisition_channel,
        cast(customer_months_classified.movement_type as {{ dbt.type_string() }}) as movement_type,
        cast(customer_months_classified.previous_mrr as numeric(18, 4)) as previous_mrr,
        cast(customer_months_classified.mrr as numeric(18, 4)) as mrr,
        cast(customer_months_classified.mrr - customer_months_classified.previous_mrr as numeric(18, 4))
            as mrr_change,
        customer_months_classified.previous_mrr > 0 as was_paying,
        customer_months_classified.mrr > 0 as is_paying,
        customer_months_classified.is_complete_period
    from customer_months_classified
    left join users
        on customer_months_classified.user_id = users.user_id

)

select * from final
