{#-
    The strict ordered funnel, user by user. A user enters at their first event of step 1; they
    reach step k at their first step-k event that happens at or after the moment they reached
    step k-1 and no later than the end of their conversion window (entry + the window). A user who
    did step 2 before step 1 has not reached step 2 unless they do it again after entering.
-#}
{%- set steps = get_funnel_steps() -%}
{%- set window_days = get_funnel_conversion_window_days() -%}

with

events as (

    select
        event_id,
        user_id,
        event_name,
        device,
        event_date,
        occurred_at
    from {{ ref('fct_events') }}

),

users as (

    select
        user_id,
        acquisition_channel
    from {{ ref('dim_users') }}

),

funnel_steps as (

    select
        step_number,
        step_name
    from {{ ref('int_funnel_steps_enumerated') }}

),

last_event as (

    select max(occurred_at) as last_event_at
    from events

),

step_events as (

    select
        events.event_id,
        events.user_id,
        events.device,
        funnel_steps.step_number,
        events.event_date,
        events.occurred_at
    from events
    inner join funnel_steps
        on events.event_name = funnel_steps.step_name

),

entry_events_ranked as (

    select
        event_id,
        user_id,
        device,
        event_date,
        occurred_at,
        row_number() over (
            partition by user_id
            order by occurred_at, event_id
        ) as entry_rank
    from step_events
    where step_number = 1

),

entries as (

    select
        entry_events_ranked.user_id,
        coalesce(users.acquisition_channel, 'unknown') as acquisition_channel,
        entry_events_ranked.device as entry_device,
        entry_events_ranked.event_date as entry_date,
        entry_events_ranked.occurred_at as entered_at,
        {{ dbt.dateadd('day', window_days, 'entry_events_ranked.occurred_at') }} as window_ends_at
    from entry_events_ranked
    left join users
        on entry_events_ranked.user_id = users.user_id
    where entry_events_ranked.entry_rank = 1

),

step_1_reached as (

    select
        user_id,
        1 as step_number,
        entered_at as reached_at
    from entries

),
{%- for step in steps[1:] %}
{%- set step_number = loop.index + 1 %}

step_{{ step_number }}_reached as (

    select
        previous_step.user_id,
        {{ step_number }} as step_number,
        min(step_events.occurred_at) as reached_at
    from step_{{ step_number - 1 }}_reached as previous_step
    inner join entries
        on previous_step.user_id = entries.user_id
    inner join step_events
        on
            previous_step.user_id = step_events.user_id
            and step_events.step_number = {{ step_number }}
            and previous_step.reached_at <= step_events.occurred_at
            and entries.window_ends_at >= step_events.occurred_at
    group by previous_step.user_id

),
{%- endfor %}

steps_reached as (

    {%- for step in steps %}
    select
        user_id,
        step_number,
        reached_at
    from step_{{ loop.index }}_reached
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        entries.user_id,
        entries.acquisition_channel,
        entries.entry_device,
        funnel_steps.step_name,
        funnel_steps.step_number,
        cast(
            {{ seconds_between('entries.entered_at', 'steps_reached.reached_at') }}
            as {{ type_double() }}
        ) / 3600 as hours_from_entry,
        steps_reached.reached_at is not null as is_reached,
        entries.window_ends_at > last_event.last_event_at as is_window_open,
        (
            steps_reached.reached_at is null
            and entries.window_ends_at > last_event.last_event_at
        ) as is_in_window,
        entries.entry_date,
        entries.entered_at,
        entries.window_ends_at,
        steps_reached.reached_at
    from entries
    cross join funnel_steps
    cross join last_event
    left join steps_reached
        on
            entries.user_id = steps_reached.user_id
            and funnel_steps.step_number = steps_reached.step_number

)

select * from final
