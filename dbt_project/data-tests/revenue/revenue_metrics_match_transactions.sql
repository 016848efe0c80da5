-- Monthly revenue equals the revenue transactions of the month and the daily revenue of fct_daily_metrics
-- summed over the month; lifetime revenue in user_revenue adds up to all transactions.
with

revenue_metrics as (

    select
        month_start_date,
        revenue
    from {{ ref('revenue_metrics') }}

),

transactions_per_month as (

    select
        {{ period_start('month', 'revenue_date') }} as month_start_date,
        sum(amount) as revenue
    from {{ ref('int_revenue_transactions') }}
    group by {{ period_start('month', 'revenue_date') }}

),

daily_per_month as (

    select
        {{ period_start('month', 'date_day') }} as month_start_date,
        sum(revenue) as revenue
    from {{ ref('fct_daily_metrics') }}
    group by {{ period_start('month', 'date_day') }}

),

lifetime as (

    select sum(lifetime_revenue) as revenue
    from {{ ref('user_revenue') }}

),

all_transactions as (

    select coalesce(sum(amount), 0) as revenue
    from {{ ref('int_revenue_transactions') }}

),

monthly_mismatches as (

    select
        cast(revenue_metrics.month_start_date as {{ dbt.type_string() }}) as problem_period,
        revenue_metrics.revenue as model_revenue,
        coalesce(transactions_per_month.revenue, 0) as transaction_revenue,
        coalesce(daily_per_month.revenue, 0) as daily_revenue
    from revenue_metrics
    left join transactions_per_month
        on revenue_metrics.month_start_date = transactions_per_month.month_start_date
    left join daily_per_month
        on revenue_metrics.month_start_date = daily_per_month.month_start_date
    where
        revenue_metrics.revenue <> coalesce(transactions_per_month.revenue, 0)
        or revenue_metrics.revenue <> coalesce(daily_per_month.revenue, 0)

),

lifetime_mismatch as (

    select
        'lifetime' as problem_period,
        lifetime.revenue as model_revenue,
        all_transactions.revenue as transaction_revenue,
        all_transactions.revenue as daily_revenue
    from lifetime
    cross join all_transactions
    where lifetime.revenue <> all_transactions.revenue

)

select * from monthly_mismatches
union all
select * from lifetime_mismatch
