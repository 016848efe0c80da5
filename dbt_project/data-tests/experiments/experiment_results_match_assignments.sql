-- experiment_results counts every assignment once: per experiment, assigned users add up to the assignments.
with

results as (

    select
        experiment_id,
        sum(assigned_users) as assigned_users
    from {{ ref('experiment_results') }}
    group by experiment_id

),

assignments as (

    select
        experiment_id,
        count(*) as assignments
    from {{ ref('stg_raw__experiment_assignments') }}
    group by experiment_id

)

select
    assignments.experiment_id,
    assignments.assignments,
    results.assigned_users
from assignments
left join results
    on assignments.experiment_id = results.experiment_id
where results.assigned_users is null or results.assigned_users <> assignments.assignments
