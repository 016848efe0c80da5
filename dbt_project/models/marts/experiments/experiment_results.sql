{#-
    One row per experiment variant. Each non-control variant is compared with the experiment's control:
    absolute and relative lift, a 95 % confidence interval of the difference (unpooled standard error), and a
    two-sided two-proportion z-test with the pooled standard error. The sample-ratio-mismatch check is a
    chi-square goodness-of-fit test of the assignment counts against the planned split (k - 1 degrees of
    freedom, exact closed form for integer df: chi_square_sf). Statistics are rounded to 6 decimals.
-#}
{%- set z_95 = 1.959963984540054 -%}
{%- set alpha = 0.05 -%}
{%- set srm_alpha = 0.001 -%}

with

variants as (

    select
        experiment_id,
        variant,
        goal_event,
        conversion_window_days,
        planned_share,
        assigned_users,
        converted_users,
        is_control,
        started_at,
        ended_at
    from {{ ref('int_experiment_variants_counted') }}

),

experiment_totals as (

    select
        experiment_id,
        sum(assigned_users) as experiment_assigned_users,
        sum(planned_share) as total_planned_share
    from variants
    group by experiment_id

),

srm_terms as (

    select
        variants.experiment_id,
        variants.assigned_users,
        experiment_totals.experiment_assigned_users * variants.planned_share
        / nullif(experiment_totals.total_planned_share, 0) as expected_users
    from variants
    inner join experiment_totals
        on variants.experiment_id = experiment_totals.experiment_id
    where variants.planned_share > 0

),

srm_statistics as (

    select
        experiment_id,
        sum(
            (assigned_users - expected_users) * (assigned_users - expected_users) / nullif(expected_users, 0)
        ) as srm_chi_square,
        count(*) - 1 as srm_degrees_of_freedom
    from srm_terms
    group by experiment_id

),

srm_tested as (

    select
        experiment_id,
        srm_chi_square,
        srm_degrees_of_freedom,
        {{ chi_square_sf('srm_chi_square', 'srm_degrees_of_freedom') }} as srm_p_value
    from srm_statistics

),

controls as (

    select
        experiment_id,
        variant as control_variant,
        assigned_users as control_assigned_users,
        converted_users as control_converted_users
    from variants
    where is_control

),

variants_with_control as (

    select
        variants.*,
        controls.control_variant,
        controls.control_assigned_users,
        controls.control_converted_users,
        experiment_totals.experiment_assigned_users,
        {{ safe_divide('variants.converted_users', 'variants.assigned_users') }} as conversion_rate,
        {{ safe_divide('controls.control_converted_users', 'controls.control_assigned_users') }}
            as control_conversion_rate,
        {{ safe_divide(
            'variants.converted_users + controls.control_converted_users',
            'variants.assigned_users + controls.control_assigned_users'
        ) }} as pooled_conversion_rate
    from variants
    inner join experiment_totals
        on variants.experiment_id = experiment_totals.experiment_id
    left join controls
        on variants.experiment_id = controls.experiment_id

),

standard_errors as (

    select
        *,
        conversion_rate - control_conversion_rate as absolute_lift,
        sqrt(
            {{ safe_divide('conversion_rate * (1 - conversion_rate)', 'assigned_users') }}
            + {{ safe_divide('control_conversion_rate * (1 - control_conversion_rate)', 'control_assigned_users') }}
        ) as unpooled_standard_error,
        sqrt(
            pooled_conversion_rate * (1 - pooled_conversion_rate)
            * ({{ safe_divide('1', 'assigned_users') }} + {{ safe_divide('1', 'control_assigned_users') }})
        ) as pooled_standard_error
    from variants_with_control
    where not is_control

),

z_scores as (

    select
        *,
        {{ safe_divide('absolute_lift', 'pooled_standard_error') }} as z_score,
        abs({{ safe_divide('absolute_lift', 'pooled_standard_error') }}) as abs_z_score
    from standard_errors

),

z_tested as (

    select
        experiment_id,
        variant,
        absolute_lift,
        {{ safe_divide('absolute_lift', 'control_conversion_rate') }} as relative_lift,
        absolute_lift - {{ z_95 }} * unpooled_standard_error as lift_ci_lower,
        absolute_lift + {{ z_95 }} * unpooled_standard_error as lift_ci_upper,
        z_score,
        2.0 * (1.0 - {{ normal_cdf('abs_z_score') }}) as p_value
    from z_scores

),

final as (

    select
        cast(variants_with_control.experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(variants_with_control.variant as {{ dbt.type_string() }}) as variant,
        cast(variants_with_control.control_variant as {{ dbt.type_string() }}) as control_variant,
        cast(variants_with_control.goal_event as {{ dbt.type_string() }}) as goal_event,
        cast(variants_with_control.conversion_window_days as integer) as conversion_window_days,
        cast(variants_with_control.assigned_users as {{ dbt.type_bigint() }}) as assigned_users,
        cast(variants_with_control.converted_users as {{ dbt.type_bigint() }}) as converted_users,
        cast(variants_with_control.planned_share as {{ type_double() }}) as planned_share,
        {{ round_float(safe_divide(
            'variants_with_control.assigned_users', 'variants_with_control.experiment_assigned_users'
        )) }} as observed_share,
        {{ round_float('variants_with_control.conversion_rate') }} as conversion_rate,
        {{ round_float('variants_with_control.control_conversion_rate') }} as control_conversion_rate,
        {{ round_float('z_tested.absolute_lift') }} as absolute_lift,
        {{ round_float('z_tested.relative_lift') }} as relative_lift,
        {{ round_float('z_tested.lift_ci_lower') }} as lift_ci_lower,
        {{ round_float('z_tested.lift_ci_upper') }} as lift_ci_upper,
        {{ round_float('z_tested.z_score') }} as z_score,
        {{ round_float('z_tested.p_value') }} as p_value,
        {{ round_float('srm_tested.srm_chi_square') }} as srm_chi_square,
        cast(srm_tested.srm_degrees_of_freedom as integer) as srm_degrees_of_freedom,
        {{ round_float('srm_tested.srm_p_value') }} as srm_p_value,
        coalesce(variants_with_control.is_control, false) as is_control,
        coalesce(z_tested.p_value < {{ alpha }}, false) as is_significant,
        coalesce(srm_tested.srm_p_value < {{ srm_alpha }}, false) as has_sample_ratio_mismatch,
        cast(variants_with_control.started_at as {{ dbt.type_timestamp() }}) as experiment_started_at,
        cast(variants_with_control.ended_at as {{ dbt.type_timestamp() }}) as experiment_ended_at
    from variants_with_control
    left join z_tested
        on
            variants_with_control.experiment_id = z_tested.experiment_id
            and variants_with_control.variant = z_tested.variant
    left join srm_tested
        on variants_with_control.experiment_id = srm_tested.experiment_id

)

select * from final
