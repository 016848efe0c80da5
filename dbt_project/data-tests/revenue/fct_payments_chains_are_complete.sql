-- Every charge attempt belongs to a chain headed by a first attempt (attempt 1, no retry_of), and a chain's
-- attempts are numbered 1..n without gaps: a broken retry link would leave an attempt outside every chain.
with

payments as (

    select
        payment_id,
        chain_payment_id,
        attempt_number,
        retry_of_payment_id,
        chain_attempts
    from {{ ref('fct_payments') }}
    where payment_type = 'charge'

),

chain_heads as (

    select
        payment_id,
        attempt_number,
        retry_of_payment_id
    from payments

),

chains as (

    select
        chain_payment_id,
        count(*) as attempts,
        max(attempt_number) as last_attempt_number,
        max(chain_attempts) as chain_attempts
    from payments
    group by chain_payment_id

)

select
    chains.chain_payment_id,
    chains.attempts,
    chains.last_attempt_number,
    chain_heads.attempt_number as head_attempt_number
from chains
left join chain_heads
    on chains.chain_payment_id = chain_heads.payment_id
where
    chain_heads.payment_id is null
    or chain_heads.retry_of_payment_id is not null
    or chain_heads.attempt_number <> 1
    or chains.attempts <> chains.last_attempt_number
    or chains.attempts <> chains.chain_attempts
