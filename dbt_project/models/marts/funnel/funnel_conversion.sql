{#-
    Funnel conversion by the day users entered, their acquisition channel and the device of their
    entry event, step by step. Counts come from funnel_conversion_users; medians are computed
    here from user rows (a median cannot be rolled up from smaller cells).
-#}

with

user_steps as (

    select
        user_id,
        acquisition_channel,
        entry_device,
        step_name,
        step_number,
        hours_from_entry,
        is_reached,
        is_window_open,
        is_in_window,
        entry_date
    from {{ ref('funnel_conversion_users') }}

),

cells as (

    select
        entry_date,
        acquisition_channel,
        entry_device,
        step_number,
        step_name,
        count(*) as entered_users,
        sum(case when is_reached then 1 else 0 end) as step_users,
        sum(case when is_in_window then 1 else 0 end) as users_in_window,
        max(case when is_window_open then 1 else 0 end) as any_window_open,
        {{ median('hours_from_entry') }} as median_hours_from_entry
    from user_steps
    group by
        entry_date,
        acquisition_channel,
        entry_device,
        step_number,
        step_name

),

cells_with_previous_step as (

    select
        *,
        lag(step_users) over (
            partition by entry_date, acquisition_channel, entry_device
            order by step_number
        ) as previous_step_users
    from cells

),

final as (

    select
        acquisition_channel,
        entry_device,
        step_name,
        cast(step_number as integer) as step_number,
        cast(entered_users as {{ dbt.type_bigint() }}) as entered_users,
        cast(step_users as {{ dbt.type_bigint() }}) as step_users,
        cast(previous_step_users as {{ dbt.type_bigint() }}) as previous_step_users,
        {{ safe_divide('step_users', 'previous_step_users') }} as conversion_from_previous_step,
        {{ safe_divide('step_users', 'entered_users') }} as conversion_from_first_step,
        cast(median_hours_from_entry as {{ type_double() }}) as median_hours_from_entry,
        cast(users_in_window as {{ dbt.type_bigint() }}) as users_in_window,
        any_window_open = 0 as is_window_closed,
        entry_date
    from cells_with_previous_step

)

select * from final
