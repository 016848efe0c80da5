{#-
    One row per payment attempt or refund. Charge attempts are linked into chains (the first attempt and its
    retries); is_recovered marks every attempt of a chain whose first attempt failed and a retry succeeded.
    Charges carry the amount refunded against them (succeeded refunds referencing the charge).
-#}
with

payments as (

    select
        payment_id,
        subscription_id,
        user_id,
        plan_id,
        chain_payment_id,
        retry_of_payment_id,
        refunded_payment_id,
        payment_type,
        status,
        currency,
        failure_reason,
        attempt_number,
        chain_attempts,
        amount,
        is_chain_succeeded,
        created_at,
        created_at_local
    from {{ ref('int_payment_attempts_chained') }}

),

first_attempts as (

    select
        payment_id as chain_payment_id,
        status as first_attempt_status
    from payments
    where payment_type = 'charge'

),

refunds_per_charge as (

    select
        refunded_payment_id,
        sum(amount) as refunded_amount
    from payments
    where payment_type = 'refund' and status = 'succeeded'
    group by refunded_payment_id

),

payments_joined as (

    select
        payments.*,
        first_attempts.first_attempt_status,
        coalesce(refunds_per_charge.refunded_amount, 0) as refunded_amount
    from payments
    left join first_attempts
        on payments.chain_payment_id = first_attempts.chain_payment_id
    left join refunds_per_charge
        on payments.payment_id = refunds_per_charge.refunded_payment_id

),

final as (

    select
        cast(payment_id as {{ dbt.type_string() }}) as payment_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(chain_payment_id as {{ dbt.type_string() }}) as chain_payment_id,
        cast(retry_of_payment_id as {{ dbt.type_string() }}) as retry_of_payment_id,
        cast(refunded_payment_id as {{ dbt.type_string() }}) as refunded_payment_id,
        cast(payment_type as {{ dbt.type_string() }}) as payment_type,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(failure_reason as {{ dbt.type_string() }}) as failure_reason,
        cast(attempt_number as integer) as attempt_number,
        cast(chain_attempts as integer) as chain_attempts,
        cast(amount as numeric(18, 2)) as amount,
        cast(case when payment_type = 'charge' then refunded_amount else 0 end as numeric(18, 2))
            as refunded_amount,
        cast(
            case
                when payment_type = 'charge' and status = 'succeeded' then amount - refunded_amount
                else 0
            end as numeric(18, 2)
        ) as net_amount,
        status = 'succeeded' as is_succeeded,
        status = 'failed' as is_failed,
        payment_type = 'refund' as is_refund,
        payment_type = 'charge' and refunded_amount > 0 as is_refunded,
        payment_type = 'charge' and retry_of_payment_id is not null as is_retry,
        coalesce(
            payment_type = 'charge' and first_attempt_status = 'failed' and is_chain_succeeded, false
        ) as is_recovered,
        cast(created_at_local as date) as payment_date,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at
    from payments_joined

)

select * from final
