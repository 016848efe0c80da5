{#-
    One row per customer (user) per month, from the customer's first paying month to the last month of
    dim_periods: net revenue in the month (payments minus refunds, or purchase amounts, per var('revenue_source'))
    and whether the customer paid. A customer pays in a month with at least one positive revenue transaction
    (a succeeded charge or a purchase); refunds alone do not make a paying month.
    paying_status: new, retained, churned (paid last month, not this month), reactivated, inactive.
-#}
with

transactions as (

    select
        user_id,
        source,
        amount,
        revenue_date
    from {{ ref('int_revenue_transactions') }}

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

customer_revenue as (

    select
        user_id,
        {{ period_start('month', 'revenue_date') }} as month_start_date,
        sum(amount) as revenue,
        max(case when source <> 'refund' and amount > 0 then 1 else 0 end) as has_payment
    from transactions
    group by user_id, {{ period_start('month', 'revenue_date') }}

),

customer_first_months as (

    select
        user_id,
        min(month_start_date) as first_paying_month
    from customer_revenue
    where has_payment = 1
    group by user_id

),

customer_month_grid as (

    select
        customer_first_months.user_id,
        months.month_start_date,
        months.is_complete_period,
        coalesce(customer_revenue.revenue, 0) as revenue,
        coalesce(customer_revenue.has_payment, 0) = 1 as is_paying
    from customer_first_months
    inner join months
        on customer_first_months.first_paying_month <= months.month_start_date
    left join customer_revenue
        on
            customer_first_months.user_id = customer_revenue.user_id
            and months.month_start_date = customer_revenue.month_start_date

),

customer_months_with_history as (

    select
        user_id,
        month_start_date,
        is_complete_period,
        revenue,
        is_paying,
        coalesce(lag(revenue) over (partition by user_id order by month_start_date), 0) as previous_revenue,
        coalesce(lag(is_paying) over (partition by user_id order by month_start_date), false) as was_paying,
        coalesce(
            sum(case when is_paying then 1 else 0 end) over (
                partition by user_id
                order by month_start_date
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as earlier_paying_months
    from customer_month_grid

),

final as (

    select
        cast(customer_months_with_history.user_id as {{ dbt.type_string() }}) as user_id,
        customer_months_with_history.month_start_date,
        cast(coalesce(users.acquisition_channel, 'unknown') as {{ dbt.type_string() }}) as acquisition_channel,
        cast(
            case
                when customer_months_with_history.is_paying and customer_months_with_history.earlier_paying_months = 0
                    then 'new'
                when customer_months_with_history.is_paying and customer_months_with_history.was_paying
                    then 'retained'
                when customer_months_with_history.is_paying then 'reactivated'
                when customer_months_with_history.was_paying then 'churned'
                else 'inactive'
            end as {{ dbt.type_string() }}
        ) as paying_status,
        cast(customer_months_with_history.previous_revenue as numeric(18, 2)) as previous_revenue,
        cast(customer_months_with_history.revenue as numeric(18, 2)) as revenue,
        customer_months_with_history.was_paying,
        customer_months_with_history.is_paying,
        customer_months_with_history.is_complete_period
    from customer_months_with_history
    left join users
        on customer_months_with_history.user_id = users.user_id

)

select * from final
