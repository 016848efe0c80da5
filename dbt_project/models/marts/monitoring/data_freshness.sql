{#-
    One row: how far the data reaches and when it last arrived, for the "data through <date>, refreshed <time>" line
    of the dashboard and the report. From the arrivals themselves (loaded_at), not from the build's clock, so a
    refreshed warehouse and a full rebuild of the same raw rows hold the same row.
-#}
with

events as (

    select
        event_date,
        occurred_at,
        loaded_at
    from {{ ref('fct_events') }}

),

final as (

    select
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        cast(max(event_date) as date) as data_through_date,
        cast(max(occurred_at) as {{ dbt.type_timestamp() }}) as data_through_at,
        cast(max(loaded_at) as {{ dbt.type_timestamp() }}) as last_loaded_at
    from events

)

select * from final
