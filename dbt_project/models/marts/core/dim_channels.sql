{#-
    One row per acquisition channel: every channel that acquired a user or has marketing spend.
    channel_type: 'paid' when the channel has spend or its name says so (paid, cpc, ads), 'unknown' for the
    staging placeholder, 'referral' for referral / partner / affiliate, 'direct' for direct, else 'organic'.
-#}
with

users as (

    select acquisition_channel from {{ ref('dim_users') }}

),

marketing_spend as (

    select
        channel,
        spend
    from {{ ref('stg_raw__marketing_spend') }}

),

users_per_channel as (

    select
        acquisition_channel as channel,
        count(*) as users
    from users
    group by acquisition_channel

),

spend_per_channel as (

    select
        channel,
        sum(spend) as total_spend
    from marketing_spend
    group by channel

),

channels_joined as (

    select
        coalesce(users_per_channel.channel, spend_per_channel.channel) as channel,
        coalesce(users_per_channel.users, 0) as users,
        coalesce(spend_per_channel.total_spend, 0) as total_spend,
        spend_per_channel.channel is not null as has_spend
    from users_per_channel
    full outer join spend_per_channel
        on users_per_channel.channel = spend_per_channel.channel

),

channels_typed as (

    select
        *,
        case
            when has_spend then 'paid'
            when lower(channel) like '%paid%' or lower(channel) like '%cpc%' or lower(channel) like '%ads%'
                then 'paid'
            when lower(channel) = 'unknown' then 'unknown'
            when
                lower(channel) like '%referral%'
                or lower(channel) like '%partner%'
                or lower(channel) like '%affiliate%'
                then 'referral'
            when lower(channel) = 'direct' then 'direct'
            else 'organic'
        end as channel_type
    from channels_joined

),

final as (

    select
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(channel_type as {{ dbt.type_string() }}) as channel_type,
        cast(users as {{ dbt.type_bigint() }}) as users,
        cast(total_spend as numeric(18, 2)) as total_spend,
        has_spend
    from channels_typed

)

select * from final
