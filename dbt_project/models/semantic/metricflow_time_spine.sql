{#-
    MetricFlow's time spine: one row per day from 2015-01-01 to 2039-12-31 (wider than any data the project
    simulates or imports). MetricFlow joins to it for cumulative metrics and to fill periods without rows.
-#}
{{ config(
    materialized='table',
    grants={'select': [env_var('REPORTING_ROLE', 'growth_reporting')]} if target.type == 'postgres' else {},
) }}

with

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2015-01-01' as date)",
        end_date="cast('2040-01-01' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
