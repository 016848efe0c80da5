{#-
    One row per converted user: the user's first positive revenue transaction, which is the first paid
    conversion (first succeeded charge) when var('revenue_source') = 'payments' and the first purchase when
    'events'. Ties at the same instant are broken by transaction_id.
-#}
with

transactions as (

    select
        transaction_id,
        user_id,
        source,
        amount,
        revenue_date,
        occurred_at
    from {{ ref('int_revenue_transactions') }}
    where source <> 'refund' and amount > 0

),

transactions_ranked as (

    select
        *,
        row_number() over (partition by user_id order by occurred_at, transaction_id) as transaction_number
    from transactions

),

final as (

    select
        transaction_id as conversion_id,
        user_id,
        case when source = 'payment' then 'first_payment' else 'first_purchase' end as conversion_type,
        amount as conversion_amount,
        revenue_date as conversion_date,
        occurred_at as converted_at
    from transactions_ranked
    where transaction_number = 1

)

select * from final
