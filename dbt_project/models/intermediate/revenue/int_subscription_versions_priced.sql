{#-
    One row per subscription version with the plan's price and the version's monthly recurring revenue:
    0 while trialing, the price for monthly plans, price / 12 for annual plans (kept to 4 decimals).
    Local (reporting time zone) bounds are what month cuts use.
-#}
with

subscription_versions as (

    select
        subscription_id,
        version,
        user_id,
        plan_id,
        status,
        change_type,
        valid_from,
        valid_to,
        cancelled_at,
        valid_from_local,
        valid_to_local
    from {{ ref('stg_raw__subscriptions') }}

),

plans as (

    select
        plan_id,
        billing_period,
        price,
        tier
    from {{ ref('stg_raw__plans') }}

),

versions_joined_to_plans as (

    select
        subscription_versions.subscription_id,
        subscription_versions.version,
        subscription_versions.user_id,
        subscription_versions.plan_id,
        subscription_versions.status,
        subscription_versions.change_type,
        plans.billing_period,
        plans.price,
        plans.tier,
        subscription_versions.valid_from,
        subscription_versions.valid_to,
        subscription_versions.cancelled_at,
        subscription_versions.valid_from_local,
        subscription_versions.valid_to_local
    from subscription_versions
    left join plans
        on subscription_versions.plan_id = plans.plan_id

),

final as (

    select
        subscription_id,
        version,
        user_id,
        plan_id,
        status,
        change_type,
        billing_period,
        tier,
        price,
        cast(
            case
                when status <> 'active' then 0
                when billing_period = 'year' then price / 12
                else price
            end as numeric(18, 4)
        ) as mrr,
        valid_from,
        valid_to,
        cancelled_at,
        valid_from_local,
        valid_to_local
    from versions_joined_to_plans

)

select * from final
