{#-
    One row per experiment variant (the design in raw.experiments, variants without assignments included):
    assigned and converted users.
-#}
with

experiment_variants as (

    select
        experiment_id,
        variant,
        is_control,
        planned_share,
        goal_event,
        conversion_window_days,
        started_at,
        ended_at
    from {{ ref('stg_raw__experiments') }}

),

assignments as (

    select
        experiment_id,
        variant,
        is_converted,
        is_window_complete
    from {{ ref('int_experiment_assignments_converted') }}

),

assignments_per_variant as (

    select
        experiment_id,
        variant,
        count(*) as assigned_users,
        sum(case when is_converted then 1 else 0 end) as converted_users,
        sum(case when is_window_complete then 0 else 1 end) as users_in_open_window
    from assignments
    group by experiment_id, variant

),

final as (

    select
        experiment_variants.experiment_id,
        experiment_variants.variant,
        experiment_variants.goal_event,
        experiment_variants.conversion_window_days,
        experiment_variants.planned_share,
        coalesce(assignments_per_variant.assigned_users, 0) as assigned_users,
        coalesce(assignments_per_variant.converted_users, 0) as converted_users,
        coalesce(assignments_per_variant.users_in_open_window, 0) as users_in_open_window,
        experiment_variants.is_control,
        experiment_variants.started_at,
        experiment_variants.ended_at
    from experiment_variants
    left join assignments_per_variant
        on
            experiment_variants.experiment_id = assignments_per_variant.experiment_id
            and experiment_variants.variant = assignments_per_variant.variant

)

select * from final
