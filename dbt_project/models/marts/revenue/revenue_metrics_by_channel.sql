{#-
    One row per month per acquisition channel (the channel that acquired the user): revenue, active and
    paying users, churn and payment health of the channel's users, and the ratios built from them.
    Churn follows var('revenue_source'): 'payments' -> MRR movements (mrr_customer_months),
    'events' -> paying months (customer_revenue_months). All counts are additive across channels (a user has
    one acquisition channel), so revenue_metrics is the sum of this model's counts per month.
-#}
{%- set revenue_source = var('revenue_source', 'payments') -%}
{#- Both churn sources are parents whatever the var says, so the build order does not depend on a var. -#}
-- depends_on: {{ ref('mrr_customer_months') }}
-- depends_on: {{ ref('customer_revenue_months') }}

with

transactions as (

    select
        user_id,
        source,
        amount,
        revenue_date
    from {{ ref('int_revenue_transactions') }}

),

users as (

    select
        user_id,
        acquisition_channel
    from {{ ref('dim_users') }}

),

channels as (

    select channel from {{ ref('dim_channels') }}

),

months as (

    select
        period_start as month_start_date,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'month'

),

activity as (

    select
        user_id,
        acquisition_channel,
        activity_date
    from {{ ref('fct_user_activity_daily') }}

),

customer_revenue_months as (

    select
        month_start_date,
        acquisition_channel,
        paying_status,
        previous_revenue,
        was_paying,
        is_paying
    from {{ ref('customer_revenue_months') }}

),

{% if revenue_source == 'payments' -%}
mrr_customer_months as (

    select
        month_start_date,
        acquisition_channel,
        movement_type,
        previous_mrr,
        mrr_change,
        was_paying
    from {{ ref('mrr_customer_months') }}

),
{%- endif %}

payments as (

    select
        user_id,
        payment_type,
        status,
        retry_of_payment_id,
        is_recovered,
        payment_date
    from {{ ref('fct_payments') }}

),

revenue_per_channel as (

    select
        {{ period_start('month', 'transactions.revenue_date') }} as month_start_date,
        coalesce(users.acquisition_channel, 'unknown') as channel,
        sum(transactions.amount) as revenue,
        sum(case when transactions.source <> 'refund' then transactions.amount else 0 end) as gross_revenue,
        sum(case when transactions.source = 'refund' then -transactions.amount else 0 end) as refunds
    from transactions
    left join users
        on transactions.user_id = users.user_id
    group by
        {{ period_start('month', 'transactions.revenue_date') }},
        coalesce(users.acquisition_channel, 'unknown')

),

active_users_per_channel as (

    select
        {{ period_start('month', 'activity_date') }} as month_start_date,
        coalesce(acquisition_channel, 'unknown') as channel,
        count(distinct user_id) as active_users
    from activity
    group by {{ period_start('month', 'activity_date') }}, coalesce(acquisition_channel, 'unknown')

),

paying_users_per_channel as (

    select
        month_start_date,
        acquisition_channel as channel,
        sum(case when is_paying then 1 else 0 end) as paying_users
    from customer_revenue_months
    group by month_start_date, acquisition_channel

),

{% if revenue_source == 'payments' -%}
churn_per_channel as (

    select
        month_start_date,
        acquisition_channel as channel,
        sum(case when was_paying then 1 else 0 end) as customers_start,
        sum(case when movement_type = 'churn' then 1 else 0 end) as churned_customers,
        sum(previous_mrr) as churn_base_revenue,
        sum(case when movement_type in ('churn', 'contraction') then -mrr_change else 0 end) as churned_revenue
    from mrr_customer_months
    group by month_start_date, acquisition_channel

),
{%- else -%}
churn_per_channel as (

    select
        month_start_date,
        acquisition_channel as channel,
        sum(case when was_paying then 1 else 0 end) as customers_start,
        sum(case when paying_status = 'churned' then 1 else 0 end) as churned_customers,
        sum(case when was_paying then previous_revenue else 0 end) as churn_base_revenue,
        sum(case when paying_status = 'churned' then previous_revenue else 0 end) as churned_revenue
    from customer_revenue_months
    group by month_start_date, acquisition_channel

),
{%- endif %}

charges_per_channel as (

    select
        {{ period_start('month', 'payments.payment_date') }} as month_start_date,
        coalesce(users.acquisition_channel, 'unknown') as channel,
        count(*) as charge_attempts,
        sum(case when payments.status = 'failed' then 1 else 0 end) as failed_charge_attempts,
        sum(
            case when payments.retry_of_payment_id is null and payments.status = 'failed' then 1 else 0 end
        ) as failed_first_attempts,
        sum(
            case when payments.retry_of_payment_id is null and payments.is_recovered then 1 else 0 end
        ) as recovered_charges
    from payments
    left join users
        on payments.user_id = users.user_id
    where payments.payment_type = 'charge'
    group by
        {{ period_start('month', 'payments.payment_date') }},
        coalesce(users.acquisition_channel, 'unknown')

),

all_channels as (

    select channel from channels
    union
    select channel from revenue_per_channel
    union
    select channel from active_users_per_channel
    union
    select channel from paying_users_per_channel
    union
    select channel from charges_per_channel

),

month_channel_grid as (

    select
        months.month_start_date,
        months.is_complete_period,
        all_channels.channel
    from months
    cross join all_channels

),

counts_joined as (

    select
        month_channel_grid.month_start_date,
        month_channel_grid.channel,
        coalesce(revenue_per_channel.revenue, 0) as revenue,
        coalesce(revenue_per_channel.gross_revenue, 0) as gross_revenue,
        coalesce(revenue_per_channel.refunds, 0) as refunds,
        coalesce(active_users_per_channel.active_users, 0) as active_users,
        coalesce(paying_users_per_channel.paying_users, 0) as paying_users,
        coalesce(churn_per_channel.customers_start, 0) as customers_start,
        coalesce(churn_per_channel.churned_customers, 0) as churned_customers,
        coalesce(churn_per_channel.churn_base_revenue, 0) as churn_base_revenue,
        coalesce(churn_per_channel.churned_revenue, 0) as churned_revenue,
        coalesce(charges_per_channel.charge_attempts, 0) as charge_attempts,
        coalesce(charges_per_channel.failed_charge_attempts, 0) as failed_charge_attempts,
        coalesce(charges_per_channel.failed_first_attempts, 0) as failed_first_attempts,
        coalesce(charges_per_channel.recovered_charges, 0) as recovered_charges,
        month_channel_grid.is_complete_period
    from month_channel_grid
    left join revenue_per_channel
        on
            month_channel_grid.month_start_date = revenue_per_channel.month_start_date
            and month_channel_grid.channel = revenue_per_channel.channel
    left join active_users_per_channel
        on
            month_channel_grid.month_start_date = active_users_per_channel.month_start_date
            and month_channel_grid.channel = active_users_per_channel.channel
    left join paying_users_per_channel
        on
            month_channel_grid.month_start_date = paying_users_per_channel.month_start_date
            and month_channel_grid.channel = paying_users_per_channel.channel
    left join churn_per_channel
        on
            month_channel_grid.month_start_date = churn_per_channel.month_start_date
            and month_channel_grid.channel = churn_per_channel.channel
    left join charges_per_channel
        on
            month_channel_grid.month_start_date = charges_per_channel.month_start_date
            and month_channel_grid.channel = charges_per_channel.channel

),

ratios as (

    select
        *,
        {{ revenue_ratio_columns() }}
    from counts_joined

),

final as (

    select
        month_start_date,
        cast(channel as {{ dbt.type_string() }}) as channel,
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
        {{ safe_divide('arppu', 'customer_churn_rate') }} as paying_customer_ltv,
        payment_failure_rate,
        recovered_after_retry_rate,
        is_complete_period
    from ratios

)

select * from final
