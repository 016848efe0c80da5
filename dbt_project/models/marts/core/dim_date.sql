{#-
    One row per calendar day from the first to the last event date (reporting time zone), gaps included.
    Weeks start on var('week_start'). The range is capped at 100 years; the singular test
    dim_date_covers_event_range fails if events span more.
-#}
{%- set max_days = 36525 -%}

with

event_dates as (

    select event_date from {{ ref('fct_events') }}

),

bounds as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from event_dates

),

day_numbers as (

    {{ dbt.generate_series(max_days) }}

),

day_offsets as (

    select
        cast(day_numbers.generated_number as integer) - 1 as day_offset,
        bounds.first_date,
        bounds.last_date
    from day_numbers
    cross join bounds
    where
        cast(day_numbers.generated_number as integer) - 1
        <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}

),

days as (

    select
        {{ period_add('day', 'first_date', 'day_offset') }} as date_day,
        last_date
    from day_offsets

),

days_described as (

    select
        date_day,
        {{ period_start('week', 'date_day') }} as week_start_date,
        {{ period_start('month', 'date_day') }} as month_start_date,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        {{ iso_day_of_week('date_day') }} as day_of_week,
        last_date
    from days

),

final as (

    select
        date_day,
        week_start_date,
        {{ period_add('day', period_add('week', 'week_start_date', 1), -1) }} as week_end_date,
        month_start_date,
        {{ period_add('day', period_add('month', 'month_start_date', 1), -1) }} as month_end_date,
        year_number,
        month_number,
        day_of_month,
        day_of_week,
        cast(
            case day_of_week
                when 1 then 'Monday'
                when 2 then 'Tuesday'
                when 3 then 'Wednesday'
                when 4 then 'Thursday'
                when 5 then 'Friday'
                when 6 then 'Saturday'
                else 'Sunday'
            end as {{ dbt.type_string() }}
        ) as day_name,
        day_of_week in (6, 7) as is_weekend,
        {{ period_add('day', period_add('week', 'week_start_date', 1), -1) }} <= last_date as is_complete_week,
        {{ period_add('day', period_add('month', 'month_start_date', 1), -1) }} <= last_date as is_complete_month
    from days_described

)

select * from final
