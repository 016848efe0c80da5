{#-
    Overall funnel conversion (all channels and devices) by the day users entered, step by step,
    for the trend chart. Every day of dim_periods (the first to the last event date) appears for every
    step, with zero users (and null rates) on days nobody entered.
-#}

with

user_steps as (

    select
        user_id,
        step_number,
        hours_from_entry,
        is_reached,
        is_window_open,
        is_in_window,
        entry_date
    from {{ ref('funnel_conversion_users') }}

),

funnel_steps as (

    select
        step_number,
        step_name,
        is_final_step
    from {{ ref('int_funnel_steps_enumerated') }}

),

entry_days as (

    select period_start as entry_date
    from {{ ref('dim_periods') }}
    where period_grain = 'day'

),

daily_steps as (

    select
        entry_date,
        step_number,
        count(*) as entered_users,
        sum(case when is_reached then 1 else 0 end) as step_users,
        sum(case when is_in_window then 1 else 0 end) as users_in_window,
        max(case when is_window_open then 1 else 0 end) as any_window_open,
        {{ median('hours_from_entry') }} as median_hours_from_entry
    from user_steps
    group by
        entry_date,
        step_number

),

days_spined as (

    select
        entry_days.entry_date,
        funnel_steps.step_number,
        funnel_steps.step_name,
        funnel_steps.is_final_step,
        coalesce(daily_steps.entered_users, 0) as entered_users,
        coalesce(daily_steps.step_users, 0) as step_users,
        coalesce(daily_steps.users_in_window, 0) as users_in_window,
        coalesce(daily_steps.any_window_open, 0) as any_window_open,
        daily_steps.median_hours_from_entry
    from entry_days
    cross join funnel_steps
    left join daily_steps
        on
            entry_days.entry_date = daily_steps.entry_date
            and funnel_steps.step_number = daily_steps.step_number

),

days_with_previous_step as (

    select
        *,
        lag(step_users) over (
            partition by entry_date
            order by step_number
        ) as previous_step_users
    from days_spined

),

final as (

    select
        step_name,
        cast(step_number as integer) as step_number,
        cast(entered_users as {{ dbt.type_bigint() }}) as entered_users,
        cast(step_users as {{ dbt.type_bigint() }}) as step_users,
        cast(previous_step_users as {{ dbt.type_bigint() }}) as previous_step_users,
        {{ safe_divide('step_users', 'previous_step_users') }} as conversion_from_previous_step,
        {{ safe_divide('step_users', 'entered_users') }} as conversion_from_first_step,
        cast(median_hours_from_entry as {{ type_double() }}) as median_hours_from_entry,
        cast(users_in_window as {{ dbt.type_bigint() }}) as users_in_window,
        is_final_step,
        any_window_open = 0 as is_window_closed,
        entry_date
    from days_with_previous_step

)

select * from final
