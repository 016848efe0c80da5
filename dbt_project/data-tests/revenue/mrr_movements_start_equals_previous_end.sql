-- Each month of the MRR bridge starts where the previous month ended (the first month starts at 0), in MRR
-- and in paying customers.
with

movements as (

    select
        month_start_date,
        starting_mrr,
        ending_mrr,
        paying_customers_start,
        paying_customers_end
    from {{ ref('mrr_movements') }}

),

movements_with_previous as (

    select
        month_start_date,
        starting_mrr,
        paying_customers_start,
        lag(ending_mrr) over (order by month_start_date) as previous_ending_mrr,
        lag(paying_customers_end) over (order by month_start_date) as previous_paying_customers_end
    from movements

)

select * from movements_with_previous
where
    starting_mrr <> coalesce(previous_ending_mrr, 0)
    or paying_customers_start <> coalesce(previous_paying_customers_end, 0)
