{#- dim_date has exactly one row per day from the first to the last event date (no gap, no cap hit). -#}
with

event_bounds as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from {{ ref('fct_events') }}

),

calendar_bounds as (

    select
        min(date_day) as first_date,
        max(date_day) as last_date,
        count(*) as days
    from {{ ref('dim_date') }}

)

select
    event_bounds.first_date as first_event_date,
    event_bounds.last_date as last_event_date,
    calendar_bounds.first_date as first_calendar_date,
    calendar_bounds.last_date as last_calendar_date,
    calendar_bounds.days
from event_bounds
cross join calendar_bounds
where
    event_bounds.first_date is not null
    and (
        calendar_bounds.first_date <> event_bounds.first_date
        or calendar_bounds.last_date <> event_bounds.last_date
        or calendar_bounds.days <> {{ dbt.datediff('event_bounds.first_date', 'event_bounds.last_date', 'day') }} + 1
    )
