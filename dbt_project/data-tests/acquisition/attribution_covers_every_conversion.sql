-- Every conversion has touch points, and attribution_by_channel credits each month's conversions in full.
with

conversions as (

    select
        conversion_id,
        conversion_date
    from {{ ref('int_conversions_identified') }}

),

attribution as (

    select distinct conversion_id from {{ ref('attribution') }}

),

by_channel as (

    select
        month_start_date,
        sum(first_touch_conversions) as first_touch_conversions,
        sum(last_touch_conversions) as last_touch_conversions,
        sum(linear_conversions) as linear_conversions
    from {{ ref('attribution_by_channel') }}
    group by month_start_date

),

conversions_per_month as (

    select
        {{ period_start('month', 'conversion_date') }} as month_start_date,
        count(*) as conversions
    from conversions
    group by {{ period_start('month', 'conversion_date') }}

),

unattributed as (

    select
        'conversion without touch points' as problem,
        conversions.conversion_id as detail
    from conversions
    left join attribution
        on conversions.conversion_id = attribution.conversion_id
    where attribution.conversion_id is null

),

months_off as (

    select
        'monthly credits differ from conversions' as problem,
        cast(by_channel.month_start_date as {{ dbt.type_string() }}) as detail
    from by_channel
    left join conversions_per_month
        on by_channel.month_start_date = conversions_per_month.month_start_date
    where
        abs(by_channel.first_touch_conversions - coalesce(conversions_per_month.conversions, 0)) > 1e-6
        or abs(by_channel.last_touch_conversions - coalesce(conversions_per_month.conversions, 0)) > 1e-6
        or abs(by_channel.linear_conversions - coalesce(conversions_per_month.conversions, 0)) > 1e-6

)

select * from unattributed
union all
select * from months_off
