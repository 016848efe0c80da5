{#-
    One row per acquisition channel per month of dim_periods. Cohort columns (signups, activated_users,
    converted_users and their rates) follow the users who signed up in the month; calendar columns (spend,
    new_paying_customers, revenue) count what happened in the month. CAC = spend / new paying customers,
    ROAS = revenue / spend; both null without spend, so organic and referral channels show null, never 0 or
    infinity.
-#}
with

channels as (

    select
        channel,
        channel_type,
        has_spend
    from {{ ref('dim_channels') }}

),

months as (

    select
        period_start as month_start_date,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'month'

),

users as (

    select
        user_id,
        acquisition_channel,
        is_activated,
        signup_date
    from {{ ref('dim_users') }}

),

conversions as (

    select
        user_id,
        conversion_date
    from {{ ref('int_conversions_identified') }}

),

marketing_spend as (

    select
        channel,
        month_start_date,
        spend,
        impressions,
        clicks
    from {{ ref('int_marketing_spend_monthly') }}

),

channel_revenue as (

    select
        month_start_date,
        channel,
        revenue,
        arppu,
        paying_customer_ltv
    from {{ ref('revenue_metrics_by_channel') }}

),

users_converted as (

    select
        users.user_id,
        users.acquisition_channel,
        users.is_activated,
        users.signup_date,
        conversions.conversion_date
    from users
    left join conversions
        on users.user_id = conversions.user_id

),

signup_cohorts as (

    select
        acquisition_channel as channel,
        {{ period_start('month', 'signup_date') }} as month_start_date,
        count(*) as signups,
        sum(case when is_activated then 1 else 0 end) as activated_users,
        sum(case when conversion_date is not null then 1 else 0 end) as converted_users
    from users_converted
    group by acquisition_channel, {{ period_start('month', 'signup_date') }}

),

new_paying_customers as (

    select
        acquisition_channel as channel,
        {{ period_start('month', 'conversion_date') }} as month_start_date,
        count(*) as new_paying_customers
    from users_converted
    where conversion_date is not null
    group by acquisition_channel, {{ period_start('month', 'conversion_date') }}

),

channel_month_grid as (

    select
        channels.channel,
        channels.channel_type,
        channels.has_spend,
        months.month_start_date,
        months.is_complete_period
    from channels
    cross join months

),

channel_months_joined as (

    select
        channel_month_grid.channel,
        channel_month_grid.channel_type,
        channel_month_grid.month_start_date,
        coalesce(marketing_spend.spend, 0) as spend,
        coalesce(marketing_spend.impressions, 0) as impressions,
        coalesce(marketing_spend.clicks, 0) as clicks,
        coalesce(signup_cohorts.signups, 0) as signups,
        coalesce(signup_cohorts.activated_users, 0) as activated_users,
        coalesce(signup_cohorts.converted_users, 0) as converted_users,
        coalesce(new_paying_customers.new_paying_customers, 0) as new_paying_customers,
        coalesce(channel_revenue.revenue, 0) as revenue,
        channel_revenue.arppu,
        channel_revenue.paying_customer_ltv,
        channel_month_grid.has_spend,
        channel_month_grid.is_complete_period
    from channel_month_grid
    left join marketing_spend
        on
            channel_month_grid.channel = marketing_spend.channel
            and channel_month_grid.month_start_date = marketing_spend.month_start_date
    left join signup_cohorts
        on
            channel_month_grid.channel = signup_cohorts.channel
            and channel_month_grid.month_start_date = signup_cohorts.month_start_date
    left join new_paying_customers
        on
            channel_month_grid.channel = new_paying_customers.channel
            and channel_month_grid.month_start_date = new_paying_customers.month_start_date
    left join channel_revenue
        on
            channel_month_grid.channel = channel_revenue.channel
            and channel_month_grid.month_start_date = channel_revenue.month_start_date

),

ratios as (

    select
        *,
        {{ safe_divide('activated_users', 'signups') }} as activation_rate,
        {{ safe_divide('converted_users', 'signups') }} as paid_conversion_rate,
        case when spend > 0 then {{ safe_divide('spend', 'signups') }} end as cost_per_signup,
        case when spend > 0 then {{ safe_divide('spend', 'new_paying_customers') }} end as cac,
        case when spend > 0 then {{ safe_divide('revenue', 'spend') }} end as roas
    from channel_months_joined

),

final as (

    select
        cast(channel as {{ dbt.type_string() }}) as channel,
        month_start_date,
        cast(channel_type as {{ dbt.type_string() }}) as channel_type,
        cast(spend as numeric(18, 2)) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(signups as {{ dbt.type_bigint() }}) as signups,
        cast(activated_users as {{ dbt.type_bigint() }}) as activated_users,
        cast(converted_users as {{ dbt.type_bigint() }}) as converted_users,
        cast(new_paying_customers as {{ dbt.type_bigint() }}) as new_paying_customers,
        cast(revenue as numeric(18, 2)) as revenue,
        activation_rate,
        paid_conversion_rate,
        cost_per_signup,
        cac,
        roas,
        paying_customer_ltv,
        {{ safe_divide('paying_customer_ltv', 'cac') }} as ltv_to_cac,
        {{ safe_divide('cac', 'arppu') }} as payback_months,
        has_spend,
        is_complete_period
    from ratios

)

select * from final
