{#-
    One row per experiment per assigned user: whether the user did the experiment's goal event within its
    conversion window after assignment (assigned_at <= occurred_at < assigned_at + conversion_window_days).
    is_window_complete is false when the window runs past the last event in the data.
    A table: it joins assignments to every event, and its tests would repeat that join on a view.
-#}
{{ config(materialized='table') }}

with

assignments as (

    select
        experiment_id,
        user_id,
        variant,
        assigned_at
    from {{ ref('stg_raw__experiment_assignments') }}

),

experiment_variants as (

    select
        experiment_id,
        variant,
        goal_event,
        conversion_window_days
    from {{ ref('stg_raw__experiments') }}

),

events as (

    select
        user_id,
        event_name,
        occurred_at
    from {{ ref('stg_raw__events') }}

),

data_end as (

    select max(occurred_at) as last_event_at
    from events

),

assignments_with_design as (

    select
        assignments.experiment_id,
        assignments.user_id,
        assignments.variant,
        experiment_variants.goal_event,
        experiment_variants.conversion_window_days,
        assignments.assigned_at,
        {{ dbt.dateadd('day', 'experiment_variants.conversion_window_days', 'assignments.assigned_at') }}
            as window_ends_at
    from assignments
    left join experiment_variants
        on
            assignments.experiment_id = experiment_variants.experiment_id
            and assignments.variant = experiment_variants.variant

),

goal_events_in_window as (

    select
        assignments_with_design.experiment_id,
        assignments_with_design.user_id,
        min(events.occurred_at) as converted_at
    from assignments_with_design
    inner join events
        on
            assignments_with_design.user_id = events.user_id
            and assignments_with_design.goal_event = events.event_name
            and assignments_with_design.assigned_at <= events.occurred_at
            and assignments_with_design.window_ends_at > events.occurred_at
    group by assignments_with_design.experiment_id, assignments_with_design.user_id

),

final as (

    select
        assignments_with_design.experiment_id,
        assignments_with_design.user_id,
        assignments_with_design.variant,
        assignments_with_design.goal_event,
        goal_events_in_window.converted_at is not null as is_converted,
        assignments_with_design.window_ends_at <= data_end.last_event_at as is_window_complete,
        assignments_with_design.assigned_at,
        assignments_with_design.window_ends_at,
        goal_events_in_window.converted_at
    from assignments_with_design
    cross join data_end
    left join goal_events_in_window
        on
            assignments_with_design.experiment_id = goal_events_in_window.experiment_id
            and assignments_with_design.user_id = goal_events_in_window.user_id

)

select * from final
