{#-
    One row per reporting period (period_grain day / week / month, period_start) from the period of the
    first event date to the period of the last, gaps included: the spine of every period-grained mart.
    period_number counts periods 1, 2, ... within a grain, so "k periods later" is plain subtraction.
    A period is complete when it ends on or before the last event date.
-#}
with

calendar as (

    select
        date_day,
        week_start_date,
        month_start_date
    from {{ ref('dim_date') }}

),

bounds as (

    select max(date_day) as last_date from calendar

),

period_starts as (

    select distinct
        'day' as period_grain,
        date_day as period_start
    from calendar

    union all

    select distinct
        'week' as period_grain,
        week_start_date as period_start
    from calendar

    union all

    select distinct
        'month' as period_grain,
        month_start_date as period_start
    from calendar

),

periods_bounded as (

    select
        period_grain,
        period_start,
        case period_grain
            when 'day' then {{ period_add('day', 'period_start', -1) }}
            when 'week' then {{ period_add('week', 'period_start', -1) }}
            else {{ period_add('month', 'period_start', -1) }}
        end as previous_period_start,
        case period_grain
            when 'day' then {{ period_add('day', 'period_start', 1) }}
            when 'week' then {{ period_add('week', 'period_start', 1) }}
            else {{ period_add('month', 'period_start', 1) }}
        end as next_period_start
    from period_starts

),

final as (

    select
        cast(periods_bounded.period_grain as {{ dbt.type_string() }}) as period_grain,
        cast(
            row_number() over (
                partition by periods_bounded.period_grain
                order by periods_bounded.period_start
            ) as integer
        ) as period_number,
        cast(
            {{ dbt.datediff('periods_bounded.period_start', 'periods_bounded.next_period_start', 'day') }}
            as integer
        ) as days_in_period,
        {{ period_add('day', 'periods_bounded.next_period_start', -1) }} <= bounds.last_date as is_complete_period,
        periods_bounded.period_start,
        {{ period_add('day', 'periods_bounded.next_period_start', -1) }} as period_end_date,
        periods_bounded.previous_period_start,
        periods_bounded.next_period_start
    from periods_bounded
    cross join bounds

)

select * from final
