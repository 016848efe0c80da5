{#-
    Cohort retention and growth accounting use the same first period: a cohort's size is the growth
    accounting's new_users of that period, and k = 0 is the whole cohort. Returns the periods that disagree.
-#}
with

cohorts as (

    select
        cohort_grain,
        cohort_start,
        cohort_users,
        active_users
    from {{ ref('cohort_retention') }}
    where periods_since_cohort = 0

),

growth as (

    select
        period_grain,
        period_start,
        new_users
    from {{ ref('growth_accounting') }}

)

select
    growth.period_grain,
    growth.period_start,
    growth.new_users,
    cohorts.cohort_users
from growth
full outer join cohorts
    on
        growth.period_grain = cohorts.cohort_grain
        and growth.period_start = cohorts.cohort_start
where
    cohorts.cohort_users is null
    or growth.new_users is null
    or growth.new_users <> cohorts.cohort_users
    or cohorts.active_users <> cohorts.cohort_users
