{#-
    One row per subscription per month of dim_periods in which any version of the subscription is valid.
    MRR rule: the monthly amount of the version in force at the month's snapshot instant, which is the end of
    the month (local time), or the end of the last data day for the month in progress. A version is in force
    at instant s when valid_from < s <= valid_to (valid_to null = open). A subscription whose paid period ends
    during the month therefore counts in the months before, and 0 in the month it ends.
-#}
with

versions as (

    select
        subscription_id,
        version,
        user_id,
        plan_id,
        status,
        billing_period,
        mrr,
        valid_from_local,
        valid_to_local
    from {{ ref('int_subscription_versions_priced') }}

),

months as (

    select
        period_start as month_start_date,
        next_period_start,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'month'

),

calendar as (

    select date_day from {{ ref('dim_date') }}

),

bounds as (

    select max(date_day) as last_date from calendar

),

month_snapshots as (

    select
        months.month_start_date,
        cast(months.month_start_date as {{ dbt.type_timestamp() }}) as month_start_at,
        cast(
            case
                when months.is_complete_period then months.next_period_start
                else {{ period_add('day', 'bounds.last_date', 1) }}
            end as {{ dbt.type_timestamp() }}
        ) as snapshot_at,
        cast(months.next_period_start as {{ dbt.type_timestamp() }}) as next_month_start_at,
        months.is_complete_period
    from months
    cross join bounds

),

subscription_months as (

    select distinct
        versions.subscription_id,
        versions.user_id,
        month_snapshots.month_start_date,
        month_snapshots.snapshot_at,
        month_snapshots.is_complete_period
    from versions
    inner join month_snapshots
        on
            versions.valid_from_local < month_snapshots.next_month_start_at
            and (
                versions.valid_to_local is null
                or versions.valid_to_local > month_snapshots.month_start_at
            )

),

versions_at_snapshot as (

    select
        subscription_months.subscription_id,
        subscription_months.month_start_date,
        versions.plan_id,
        versions.status,
        versions.billing_period,
        versions.mrr,
        row_number() over (
            partition by subscription_months.subscription_id, subscription_months.month_start_date
            order by versions.version desc
        ) as version_rank
    from subscription_months
    inner join versions
        on
            subscription_months.subscription_id = versions.subscription_id
            and subscription_months.snapshot_at > versions.valid_from_local
            and (
                versions.valid_to_local is null
                or subscription_months.snapshot_at <= versions.valid_to_local
            )

),

final as (

    select
        subscription_months.subscription_id,
        subscription_months.month_start_date,
        subscription_months.user_id,
        versions_at_snapshot.plan_id,
        versions_at_snapshot.billing_period,
        cast(coalesce(versions_at_snapshot.status, 'ended') as {{ dbt.type_string() }}) as subscription_status,
        cast(coalesce(versions_at_snapshot.mrr, 0) as numeric(18, 4)) as mrr,
        coalesce(versions_at_snapshot.mrr, 0) > 0 as is_paying,
        subscription_months.is_complete_period
    from subscription_months
    left join versions_at_snapshot
        on
            subscription_months.subscription_id = versions_at_snapshot.subscription_id
            and subscription_months.month_start_date = versions_at_snapshot.month_start_date
            and versions_at_snapshot.version_rank = 1

)

select * from final
