{#-
    One row per conversion per touch point. A conversion is a user's first paid conversion or first purchase
    (int_conversions_identified); its touch points are the user's sessions that started at or before the
    conversion, in time order, each with the session's channel. A conversion without such a session gets one
    touch point on the user's acquisition channel (is_fallback_touch). Credits under each model sum to 1 per
    conversion: first touch (all to the first), last touch (all to the last), linear (1 / touch points each).
-#}
with

conversions as (

    select
        conversion_id,
        user_id,
        conversion_type,
        conversion_amount,
        conversion_date,
        converted_at
    from {{ ref('int_conversions_identified') }}

),

sessions as (

    select
        session_id,
        user_id,
        channel,
        started_at
    from {{ ref('fct_sessions') }}

),

users as (

    select
        user_id,
        acquisition_channel
    from {{ ref('dim_users') }}

),

session_touch_points as (

    select
        conversions.conversion_id,
        sessions.session_id,
        coalesce(sessions.channel, 'unknown') as channel,
        false as is_fallback_touch,
        sessions.started_at as touched_at
    from conversions
    inner join sessions
        on
            conversions.user_id = sessions.user_id
            and conversions.converted_at >= sessions.started_at

),

conversions_with_sessions as (

    select distinct conversion_id
    from session_touch_points

),

fallback_touch_points as (

    select
        conversions.conversion_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        coalesce(users.acquisition_channel, 'unknown') as channel,
        true as is_fallback_touch,
        conversions.converted_at as touched_at
    from conversions
    left join users
        on conversions.user_id = users.user_id
    left join conversions_with_sessions
        on conversions.conversion_id = conversions_with_sessions.conversion_id
    where conversions_with_sessions.conversion_id is null

),

touch_points as (

    select * from session_touch_points
    union all
    select * from fallback_touch_points

),

touch_points_numbered as (

    select
        *,
        row_number() over (partition by conversion_id order by touched_at, session_id) as touch_point_number,
        count(*) over (partition by conversion_id) as touch_points
    from touch_points

),

final as (

    select
        cast(touch_points_numbered.conversion_id as {{ dbt.type_string() }}) as conversion_id,
        cast(touch_points_numbered.touch_point_number as integer) as touch_point_number,
        cast(conversions.user_id as {{ dbt.type_string() }}) as user_id,
        cast(touch_points_numbered.session_id as {{ dbt.type_string() }}) as session_id,
        cast(touch_points_numbered.channel as {{ dbt.type_string() }}) as channel,
        cast(conversions.conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(touch_points_numbered.touch_points as integer) as touch_points,
        cast(conversions.conversion_amount as numeric(18, 2)) as conversion_amount,
        cast(
            case when touch_points_numbered.touch_point_number = 1 then 1 else 0 end as {{ type_double() }}
        ) as first_touch_credit,
        cast(
            case when touch_points_numbered.touch_point_number = touch_points_numbered.touch_points then 1 else 0 end
            as {{ type_double() }}
        ) as last_touch_credit,
        1.0 / cast(touch_points_numbered.touch_points as {{ type_double() }}) as linear_credit,
        touch_points_numbered.is_fallback_touch,
        conversions.conversion_date,
        cast(touch_points_numbered.touched_at as {{ dbt.type_timestamp() }}) as touched_at,
        cast(conversions.converted_at as {{ dbt.type_timestamp() }}) as converted_at
    from touch_points_numbered
    inner join conversions
        on touch_points_numbered.conversion_id = conversions.conversion_id

)

select * from final
