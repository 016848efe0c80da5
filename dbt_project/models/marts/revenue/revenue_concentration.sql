{#-
    One row per top share of paying users (1 %, 10 %, 20 %): how much of lifetime revenue the top users bring.
    The top p % are the ceil(p/100 x paying users) users with the highest lifetime revenue (user_revenue's
    revenue_rank); paying users are users with lifetime revenue > 0.
-#}
{%- set top_percents = [1, 10, 20] -%}

with

user_revenue as (

    select
        lifetime_revenue,
        revenue_rank
    from {{ ref('user_revenue') }}
    where is_paying_user

),

top_percents as (

    {%- for top_percent in top_percents %}
    select cast({{ top_percent }} as integer) as top_percent
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

paying_totals as (

    select
        count(*) as paying_users,
        coalesce(sum(lifetime_revenue), 0) as total_revenue
    from user_revenue

),

top_user_counts as (

    select
        top_percents.top_percent,
        paying_totals.paying_users,
        paying_totals.total_revenue,
        cast(ceil(paying_totals.paying_users * top_percents.top_percent / 100.0) as integer) as top_users
    from top_percents
    cross join paying_totals

),

top_revenue as (

    select
        top_user_counts.top_percent,
        coalesce(sum(user_revenue.lifetime_revenue), 0) as top_users_revenue
    from top_user_counts
    left join user_revenue
        on top_user_counts.top_users >= user_revenue.revenue_rank
    group by top_user_counts.top_percent

),

final as (

    select
        top_user_counts.top_percent,
        cast(top_user_counts.paying_users as {{ dbt.type_bigint() }}) as paying_users,
        cast(top_user_counts.top_users as {{ dbt.type_bigint() }}) as top_users,
        cast(top_revenue.top_users_revenue as numeric(18, 2)) as top_users_revenue,
        cast(top_user_counts.total_revenue as numeric(18, 2)) as total_revenue,
        {{ safe_divide('top_revenue.top_users_revenue', 'top_user_counts.total_revenue') }}
            as revenue_share
    from top_user_counts
    inner join top_revenue
        on top_user_counts.top_percent = top_revenue.top_percent

)

select * from final
