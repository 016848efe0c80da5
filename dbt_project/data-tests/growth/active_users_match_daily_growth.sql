{#- DAU of active_users equals the active users of the daily growth accounting, day by day. -#}
select
    active_users.date_day,
    active_users.dau,
    growth_accounting.active_users
from {{ ref('active_users') }} as active_users
left join {{ ref('growth_accounting') }} as growth_accounting
    on
        growth_accounting.period_grain = 'day'
        and active_users.date_day = growth_accounting.period_start
where growth_accounting.active_users is null or active_users.dau <> growth_accounting.active_users
