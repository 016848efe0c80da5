-- The bridge's ending MRR of a month is the sum of the subscriptions' MRR that month (mrr).
with

movements as (

    select
        month_start_date,
        ending_mrr
    from {{ ref('mrr_movements') }}

),

subscription_mrr as (

    select
        month_start_date,
        sum(mrr) as total_mrr
    from {{ ref('mrr') }}
    group by month_start_date

)

select
    movements.month_start_date,
    movements.ending_mrr,
    subscription_mrr.total_mrr
from movements
left join subscription_mrr
    on movements.month_start_date = subscription_mrr.month_start_date
where movements.ending_mrr <> coalesce(subscription_mrr.total_mrr, 0)
