{#-
    One row per subscription: its history folded from the SCD versions (trial start, paid start, plan
    changes, first and current plan, cancellation, end) and its status at the end of the data (the end of
    the last day of dim_date, local time).
-#}
with

versions as (

    select
        subscription_id,
        version,
        user_id,
        plan_id,
        status,
        change_type,
        billing_period,
        mrr,
        valid_from,
        valid_to,
        cancelled_at,
        valid_from_local,
        valid_to_local
    from {{ ref('int_subscription_versions_priced') }}

),

calendar as (

    select date_day from {{ ref('dim_date') }}

),

data_end as (

    select cast({{ period_add('day', 'max(date_day)', 1) }} as {{ dbt.type_timestamp() }}) as data_end_at
    from calendar

),

versions_ranked as (

    select
        *,
        row_number() over (partition by subscription_id order by version) as version_asc,
        row_number() over (partition by subscription_id order by version desc) as version_desc,
        row_number() over (
            partition by subscription_id
            order by case when status = 'active' then 0 else 1 end, version
        ) as paid_rank
    from versions

),

subscription_history as (

    select
        subscription_id,
        count(*) as versions,
        sum(case when change_type in ('upgrade', 'downgrade') then 1 else 0 end) as plan_changes,
        sum(case when change_type = 'upgrade' then 1 else 0 end) as upgrades,
        sum(case when change_type = 'downgrade' then 1 else 0 end) as downgrades,
        max(case when status = 'trialing' then 1 else 0 end) as has_trial,
        max(case when status = 'active' then 1 else 0 end) as has_paid,
        min(case when status = 'trialing' then valid_from end) as trial_started_at,
        min(case when status = 'active' then valid_from end) as paid_started_at,
        max(cancelled_at) as cancelled_at
    from versions
    group by subscription_id

),

first_versions as (

    select
        subscription_id,
        user_id,
        plan_id as first_plan_id,
        valid_from as started_at
    from versions_ranked
    where version_asc = 1

),

first_paid_versions as (

    select
        subscription_id,
        plan_id as first_paid_plan_id
    from versions_ranked
    where paid_rank = 1 and status = 'active'

),

last_versions as (

    select
        subscription_id,
        plan_id as current_plan_id,
        billing_period as current_billing_period,
        status as last_status,
        mrr as last_mrr,
        valid_to as ended_at,
        valid_to_local as ended_at_local
    from versions_ranked
    where version_desc = 1

),

subscriptions_joined as (

    select
        first_versions.subscription_id,
        first_versions.user_id,
        first_versions.first_plan_id,
        first_paid_versions.first_paid_plan_id,
        last_versions.current_plan_id,
        last_versions.current_billing_period,
        case
            when last_versions.ended_at_local is not null and last_versions.ended_at_local <= data_end.data_end_at
                then 'ended'
            else last_versions.last_status
        end as subscription_status,
        case
            when last_versions.ended_at_local is not null and last_versions.ended_at_local <= data_end.data_end_at
                then 0
            else last_versions.last_mrr
        end as current_mrr,
        subscription_history.versions,
        subscription_history.plan_changes,
        subscription_history.upgrades,
        subscription_history.downgrades,
        subscription_history.has_trial = 1 as has_trial,
        subscription_history.has_paid = 1 as is_converted_to_paid,
        subscription_history.cancelled_at is not null as is_cancelled,
        first_versions.started_at,
        subscription_history.trial_started_at,
        subscription_history.paid_started_at,
        subscription_history.cancelled_at,
        last_versions.ended_at
    from first_versions
    inner join subscription_history
        on first_versions.subscription_id = subscription_history.subscription_id
    inner join last_versions
        on first_versions.subscription_id = last_versions.subscription_id
    left join first_paid_versions
        on first_versions.subscription_id = first_paid_versions.subscription_id
    cross join data_end

),

final as (

    select
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(first_plan_id as {{ dbt.type_string() }}) as first_plan_id,
        cast(first_paid_plan_id as {{ dbt.type_string() }}) as first_paid_plan_id,
        cast(current_plan_id as {{ dbt.type_string() }}) as current_plan_id,
        cast(current_billing_period as {{ dbt.type_string() }}) as current_billing_period,
        cast(subscription_status as {{ dbt.type_string() }}) as subscription_status,
        cast(versions as integer) as versions,
        cast(plan_changes as integer) as plan_changes,
        cast(upgrades as integer) as upgrades,
        cast(downgrades as integer) as downgrades,
        cast(current_mrr as numeric(18, 4)) as current_mrr,
        has_trial,
        is_converted_to_paid,
        is_cancelled,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(trial_started_at as {{ dbt.type_timestamp() }}) as trial_started_at,
        cast(paid_started_at as {{ dbt.type_timestamp() }}) as paid_started_at,
        cast(cancelled_at as {{ dbt.type_timestamp() }}) as cancelled_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at
    from subscriptions_joined

)

select * from final
