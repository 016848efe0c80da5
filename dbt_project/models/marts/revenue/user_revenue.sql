{#-
    One row per user (every user of dim_users): lifetime revenue (payments minus refunds, or purchase
    amounts, per var('revenue_source')) and the user's rank among paying users (lifetime revenue > 0),
    1 = the highest; ties broken by user_id.
-#}
with

users as (

    select
        user_id,
        acquisition_channel,
        signup_date
    from {{ ref('dim_users') }}

),

transactions as (

    select
        user_id,
        source,
        amount,
        occurred_at
    from {{ ref('int_revenue_transactions') }}

),

revenue_per_user as (

    select
        user_id,
        sum(amount) as lifetime_revenue,
        sum(case when source <> 'refund' then amount else 0 end) as gross_revenue,
        sum(case when source = 'refund' then -amount else 0 end) as refunds,
        sum(case when source <> 'refund' then 1 else 0 end) as payments,
        min(case when source <> 'refund' then occurred_at end) as first_payment_at,
        max(case when source <> 'refund' then occurred_at end) as last_payment_at
    from transactions
    group by user_id

),

users_joined as (

    select
        users.user_id,
        users.acquisition_channel,
        coalesce(revenue_per_user.lifetime_revenue, 0) as lifetime_revenue,
        coalesce(revenue_per_user.gross_revenue, 0) as gross_revenue,
        coalesce(revenue_per_user.refunds, 0) as refunds,
        coalesce(revenue_per_user.payments, 0) as payments,
        users.signup_date,
        revenue_per_user.first_payment_at,
        revenue_per_user.last_payment_at
    from users
    left join revenue_per_user
        on users.user_id = revenue_per_user.user_id

),

paying_users_ranked as (

    select
        user_id,
        row_number() over (order by lifetime_revenue desc, user_id asc) as revenue_rank
    from users_joined
    where lifetime_revenue > 0

),

final as (

    select
        cast(users_joined.user_id as {{ dbt.type_string() }}) as user_id,
        cast(users_joined.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(users_joined.lifetime_revenue as numeric(18, 2)) as lifetime_revenue,
        cast(users_joined.gross_revenue as numeric(18, 2)) as gross_revenue,
        cast(users_joined.refunds as numeric(18, 2)) as refunds,
        cast(users_joined.payments as {{ dbt.type_bigint() }}) as payments,
        cast(paying_users_ranked.revenue_rank as {{ dbt.type_bigint() }}) as revenue_rank,
        users_joined.lifetime_revenue > 0 as is_paying_user,
        users_joined.signup_date,
        cast(users_joined.first_payment_at as {{ dbt.type_timestamp() }}) as first_payment_at,
        cast(users_joined.last_payment_at as {{ dbt.type_timestamp() }}) as last_payment_at
    from users_joined
    left join paying_users_ranked
        on users_joined.user_id = paying_users_ranked.user_id

)

select * from final
