{#- One row per price plan, with its monthly equivalent price (annual plans / 12). -#}
with

plans as (

    select
        plan_id,
        plan_name,
        billing_period,
        currency,
        price,
        tier
    from {{ ref('stg_raw__plans') }}

),

subscription_versions as (

    select
        subscription_id,
        plan_id
    from {{ ref('int_subscription_versions_priced') }}

),

subscriptions_per_plan as (

    select
        plan_id,
        count(distinct subscription_id) as subscriptions
    from subscription_versions
    group by plan_id

),

final as (

    select
        cast(plans.plan_id as {{ dbt.type_string() }}) as plan_id,
        cast(plans.plan_name as {{ dbt.type_string() }}) as plan_name,
        cast(plans.billing_period as {{ dbt.type_string() }}) as billing_period,
        cast(plans.currency as {{ dbt.type_string() }}) as currency,
        cast(plans.tier as integer) as tier,
        cast(plans.price as numeric(18, 2)) as price,
        cast(
            case when plans.billing_period = 'year' then plans.price / 12 else plans.price end
            as numeric(18, 4)
        ) as monthly_price,
        cast(coalesce(subscriptions_per_plan.subscriptions, 0) as {{ dbt.type_bigint() }}) as subscriptions,
        plans.billing_period = 'year' as is_annual
    from plans
    left join subscriptions_per_plan
        on plans.plan_id = subscriptions_per_plan.plan_id

)

select * from final
