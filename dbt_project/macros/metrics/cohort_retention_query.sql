{#-
    The SQL of a cohort-retention mart: one row per cohort_grain, [dimension,] cohort_start and
    periods_since_cohort k = 0, 1, ... up to the last period of the data.
    A user's cohort is the period of their first activity (fct_user_activity_periods); active_users counts
    cohort users active in period cohort_start + k. Every cohort period of dim_periods appears (a period
    without new users is a cohort of 0), and cells without active users are 0, not missing.
    `dimension` (optional): a fixed user attribute (acquisition_channel) to split cohorts by.
-#}
{% macro cohort_retention_query(dimension=none) -%}
{%- set dim_select = 'coalesce(' ~ dimension ~ ", 'unknown') as " ~ dimension ~ ',' if dimension else '' -%}
{%- set dim_col = dimension ~ ',' if dimension else '' -%}
with

user_periods as (

    select
        period_grain,
        user_id,
        {{ dim_select }}
        period_start
    from {{ ref('fct_user_activity_periods') }}

),

periods as (

    select
        period_grain,
        period_number,
        is_complete_period,
        period_start
    from {{ ref('dim_periods') }}

),

user_periods_numbered as (

    select
        user_periods.period_grain,
        user_periods.user_id,
        {{ 'user_periods.' ~ dim_col if dimension else '' }}
        periods.period_number
    from user_periods
    inner join periods
        on
            user_periods.period_grain = periods.period_grain
            and user_periods.period_start = periods.period_start

),

user_periods_with_cohort as (

    select
        *,
        min(period_number) over (partition by period_grain, user_id) as cohort_period_number
    from user_periods_numbered

),

cohort_sizes as (

    select
        period_grain,
        {{ dim_col }}
        cohort_period_number,
        count(*) as cohort_users
    from user_periods_with_cohort
    where period_number = cohort_period_number
    group by
        period_grain,
        {{ dim_col }}
        cohort_period_number

),

cell_counts as (

    select
        period_grain,
        {{ dim_col }}
        cohort_period_number,
        period_number - cohort_period_number as periods_since_cohort,
        count(*) as active_users
    from user_periods_with_cohort
    group by
        period_grain,
        {{ dim_col }}
        cohort_period_number,
        period_number - cohort_period_number

),

{% if dimension -%}
dimension_values as (

    select distinct {{ dimension }} from user_periods

),
{%- endif %}

{#- Every cohort period paired with itself and every later period of the same grain. -#}
grid as (

    select
        cohorts.period_grain,
        {{ 'dimension_values.' ~ dim_col if dimension else '' }}
        cohorts.period_number as cohort_period_number,
        cohorts.period_start as cohort_start,
        targets.period_number - cohorts.period_number as periods_since_cohort,
        targets.period_start,
        targets.is_complete_period
    from periods as cohorts
    inner join periods as targets
        on
            cohorts.period_grain = targets.period_grain
            and cohorts.period_number <= targets.period_number
    {% if dimension -%}
    cross join dimension_values
    {%- endif %}

),

final as (

    select
        cast(grid.period_grain as {{ dbt.type_string() }}) as cohort_grain,
        {% if dimension -%}
        cast(grid.{{ dimension }} as {{ dbt.type_string() }}) as {{ dimension }},
        {% endif -%}
        grid.cohort_start,
        cast(grid.periods_since_cohort as integer) as periods_since_cohort,
        grid.period_start,
        cast(coalesce(cohort_sizes.cohort_users, 0) as {{ dbt.type_bigint() }}) as cohort_users,
        cast(coalesce(cell_counts.active_users, 0) as {{ dbt.type_bigint() }}) as active_users,
        {{ safe_divide('coalesce(cell_counts.active_users, 0)', 'cohort_sizes.cohort_users') }} as retention_rate,
        grid.is_complete_period
    from grid
    left join cohort_sizes
        on
            grid.period_grain = cohort_sizes.period_grain
            {% if dimension -%}
            and grid.{{ dimension }} = cohort_sizes.{{ dimension }}
            {% endif -%}
            and grid.cohort_period_number = cohort_sizes.cohort_period_number
    left join cell_counts
        on
            grid.period_grain = cell_counts.period_grain
            {% if dimension -%}
            and grid.{{ dimension }} = cell_counts.{{ dimension }}
            {% endif -%}
            and grid.cohort_period_number = cell_counts.cohort_period_number
            and grid.periods_since_cohort = cell_counts.periods_since_cohort

)

select * from final
{%- endmacro %}
