{#- One row per channel per month (reporting calendar) with marketing spend: spend, impressions, clicks. -#}
with

marketing_spend as (

    select
        channel,
        spend,
        impressions,
        clicks,
        spend_date
    from {{ ref('stg_raw__marketing_spend') }}

),

final as (

    select
        channel,
        {{ period_start('month', 'spend_date') }} as month_start_date,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from marketing_spend
    group by channel, {{ period_start('month', 'spend_date') }}

)

select * from final
