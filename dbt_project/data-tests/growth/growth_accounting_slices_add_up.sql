{#-
    A user's channel and segment are fixed, so the per-channel and per-segment growth accounting add up to
    the total in every period and every status. Returns the periods where a sum differs.
-#}
{%- set measures = ['active_users', 'new_users', 'retained_users', 'resurrected_users', 'churned_users'] -%}

with

totals as (

    select * from {{ ref('growth_accounting') }}

),

{% for mart in ['growth_accounting_by_channel', 'growth_accounting_by_segment'] -%}
{{ mart }}_summed as (

    select
        '{{ mart }}' as mart,
        period_grain,
        period_start,
        sum(active_users) as active_users,
        sum(new_users) as new_users,
        sum(retained_users) as retained_users,
        sum(resurrected_users) as resurrected_users,
        sum(churned_users) as churned_users
    from {{ ref(mart) }}
    group by period_grain, period_start

),

{% endfor -%}

sums as (

    select * from growth_accounting_by_channel_summed
    union all
    select * from growth_accounting_by_segment_summed

)

select
    sums.mart,
    totals.period_grain,
    totals.period_start
from totals
left join sums
    on
        totals.period_grain = sums.period_grain
        and totals.period_start = sums.period_start
where
    sums.mart is null and totals.active_users + totals.churned_users > 0
    {% for measure in measures -%}
    or totals.{{ measure }} <> sums.{{ measure }}
    {% endfor %}
