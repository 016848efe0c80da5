{#-
    One row per payment row (charge attempt or refund), with its charge chain: a first attempt and the
    retries that follow it through retry_of_payment_id. chain_payment_id is the payment_id of the chain's
    first attempt; the chain succeeded when any of its attempts did. Refunds are their own one-row chain.
    The chain is walked with a recursive CTE (valid on DuckDB and PostgreSQL).
-#}
with recursive

payments as (

    select
        payment_id,
        subscription_id,
        user_id,
        plan_id,
        payment_type,
        status,
        currency,
        failure_reason,
        retry_of_payment_id,
        refunded_payment_id,
        attempt_number,
        amount,
        created_at,
        created_at_local
    from {{ ref('stg_raw__payments') }}

),

chains as (

    select
        payment_id,
        payment_id as chain_payment_id,
        1 as chain_depth
    from payments
    where retry_of_payment_id is null

    union all

    select
        payments.payment_id,
        chains.chain_payment_id,
        chains.chain_depth + 1 as chain_depth
    from payments
    inner join chains
        on payments.retry_of_payment_id = chains.payment_id
    where chains.chain_depth < 100

),

chain_outcomes as (

    select
        chains.chain_payment_id,
        count(*) as chain_attempts,
        max(case when payments.status = 'succeeded' then 1 else 0 end) as chain_succeeded
    from chains
    inner join payments
        on chains.payment_id = payments.payment_id
    group by chains.chain_payment_id

),

final as (

    select
        payments.payment_id,
        payments.subscription_id,
        payments.user_id,
        payments.plan_id,
        chains.chain_payment_id,
        payments.retry_of_payment_id,
        payments.refunded_payment_id,
        payments.payment_type,
        payments.status,
        payments.currency,
        payments.failure_reason,
        payments.attempt_number,
        chain_outcomes.chain_attempts,
        payments.amount,
        chain_outcomes.chain_succeeded = 1 as is_chain_succeeded,
        payments.created_at,
        payments.created_at_local
    from payments
    left join chains
        on payments.payment_id = chains.payment_id
    left join chain_outcomes
        on chains.chain_payment_id = chain_outcomes.chain_payment_id

)

select * from final
