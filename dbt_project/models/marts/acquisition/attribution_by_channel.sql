{#-
    One row per channel per month of dim_periods: conversions credited to the channel under first-touch,
    last-touch and linear attribution (sums of attribution's credits by conversion month). Each model's
    column sums over channels to the month's conversions.
-#}
with

attribution as (

    select
        channel,
        conversion_date,
        conversion_amount,
        first_touch_credit,
        last_touch_credit,
        linear_credit
    from {{ ref('attribution') }}

),

channels as (

    select channel from {{ ref('dim_channels') }}

),

months as (

    select
        period_start as month_start_date,
        is_complete_period
    from {{ ref('dim_periods') }}
    where period_grain = 'month'

),

credits_per_channel as (

    select
        channel,
        {{ period_start('month', 'conversion_date') }} as month_start_date,
        sum(first_touch_credit) as first_touch_conversions,
        sum(last_touch_credit) as last_touch_conversions,
        sum(linear_credit) as linear_conversions,
        sum(first_touch_credit * conversion_amount) as first_touch_revenue,
        sum(last_touch_credit * conversion_amount) as last_touch_revenue,
        sum(linear_credit * conversion_amount) as linear_revenue
    from attribution
    group by channel, {{ period_start('month', 'conversion_date') }}

),

all_channels as (

    select channel from channels
    union
    select channel from credits_per_channel

),

final as (

    select
        cast(all_channels.channel as {{ dbt.type_string() }}) as channel,
        months.month_start_date,
        cast(coalesce(credits_per_channel.first_touch_conversions, 0) as {{ type_double() }})
            as first_touch_conversions,
        cast(coalesce(credits_per_channel.last_touch_conversions, 0) as {{ type_double() }})
            as last_touch_conversions,
        cast(coalesce(credits_per_channel.linear_conversions, 0) as {{ type_double() }}) as linear_conversions,
        cast(coalesce(credits_per_channel.first_touch_revenue, 0) as {{ type_double() }}) as first_touch_revenue,
        cast(coalesce(credits_per_channel.last_touch_revenue, 0) as {{ type_double() }}) as last_touch_revenue,
        cast(coalesce(credits_per_channel.linear_revenue, 0) as {{ type_double() }}) as linear_revenue,
        months.is_complete_period
    from all_channels
    cross join months
    left join credits_per_channel
        on
            all_channels.channel = credits_per_channel.channel
            and months.month_start_date = credits_per_channel.month_start_date

)

select * from final
