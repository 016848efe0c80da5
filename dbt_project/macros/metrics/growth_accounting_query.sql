{#-
    The SQL of a growth-accounting mart: one row per period_grain, [dimension,] period_start of dim_periods.
    Per user and grain (from fct_user_activity_periods):
      new         = active in the period, and it is the user's first active period;
      retained    = active in the period and in the period before;
      resurrected = active in the period, not in the period before, first active period earlier;
      churned     = active in the period before, not in this one (counted in this period, positive).
    So active = new + retained + resurrected and churned = previous active - retained.
    `dimension` (optional) is a user attribute of fct_user_activity_periods (acquisition_channel, segment):
    counts are then per value; a user's value is fixed, so the identities hold within each value.
-#}
{% macro growth_accounting_query(dimension=none) -%}
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

{% if dimension -%}
dimension_values as (

    select distinct {{ dimension }} from user_periods

),

spine as (

    select
        periods.period_grain,
        dimension_values.{{ dimension }},
        periods.period_number,
        periods.is_complete_period,
        periods.period_start
    from periods
    cross join dimension_values

),
{%- else -%}
spine as (

    select * from periods

),
{%- endif %}

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

user_periods_sequenced as (

    select
        *,
        min(period_number) over (
            partition by period_grain, user_id
        ) as first_period_number,
        lag(period_number) over (
            partition by period_grain, user_id
            order by period_number
        ) as previous_active_period_number,
        lead(period_number) over (
            partition by period_grain, user_id
            order by period_number
        ) as next_active_period_number
    from user_periods_numbered

),

user_periods_classified as (

    select
        period_grain,
        {{ dim_col }}
        period_number,
        case
            when period_number = first_period_number then 'new'
            when previous_active_period_number = period_number - 1 then 'retained'
            else 'resurrected'
        end as user_status,
        coalesce(next_active_period_number > period_number + 1, true) as is_churned_next_period
    from user_periods_sequenced

),

activity_counts as (

    select
        period_grain,
        {{ dim_col }}
        period_number,
        count(*) as active_users,
        sum(case when user_status = 'new' then 1 else 0 end) as new_users,
        sum(case when user_status = 'retained' then 1 else 0 end) as retained_users,
        sum(case when user_status = 'resurrected' then 1 else 0 end) as resurrected_users
    from user_periods_classified
    group by
        period_grain,
        {{ dim_col }}
        period_number

),

{#- A user active in period p and not in p + 1 churns in p + 1. -#}
churn_counts as (

    select
        period_grain,
        {{ dim_col }}
        period_number + 1 as period_number,
        count(*) as churned_users
    from user_periods_classified
    where is_churned_next_period
    group by
        period_grain,
        {{ dim_col }}
        period_number

),

counts_joined as (

    select
        spine.period_grain,
        {{ 'spine.' ~ dim_col if dimension else '' }}
        spine.period_number,
        spine.period_start,
        spine.is_complete_period,
        coalesce(activity_counts.active_users, 0) as active_users,
        coalesce(activity_counts.new_users, 0) as new_users,
        coalesce(activity_counts.retained_users, 0) as retained_users,
        coalesce(activity_counts.resurrected_users, 0) as resurrected_users,
        coalesce(churn_counts.churned_users, 0) as churned_users
    from spine
    left join activity_counts
        on
            spine.period_grain = activity_counts.period_grain
            {% if dimension -%}
            and spine.{{ dimension }} = activity_counts.{{ dimension }}
            {% endif -%}
            and spine.period_number = activity_counts.period_number
    left join churn_counts
        on
            spine.period_grain = churn_counts.period_grain
            {% if dimension -%}
            and spine.{{ dimension }} = churn_counts.{{ dimension }}
            {% endif -%}
            and spine.period_number = churn_counts.period_number

),

counts_with_previous as (

    select
        *,
        lag(active_users, 1, 0) over (
            partition by period_grain{{ ', ' ~ dimension if dimension else '' }}
            order by period_number
        ) as previous_active_users
    from counts_joined

),

final as (

    select
        cast(period_grain as {{ dbt.type_string() }}) as period_grain,
        {% if dimension -%}
        cast({{ dimension }} as {{ dbt.type_string() }}) as {{ dimension }},
        {% endif -%}
        period_start,
        cast(active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(new_users as {{ dbt.type_bigint() }}) as new_users,
        cast(retained_users as {{ dbt.type_bigint() }}) as retained_users,
        cast(resurrected_users as {{ dbt.type_bigint() }}) as resurrected_users,
        cast(churned_users as {{ dbt.type_bigint() }}) as churned_users,
        {{ safe_divide('retained_users', 'previous_active_users') }} as retention_rate,
        {{ safe_divide('new_users + resurrected_users', 'churned_users') }} as quick_ratio,
        is_complete_period
    from counts_with_previous

)

select * from final
{%- endmacro %}
