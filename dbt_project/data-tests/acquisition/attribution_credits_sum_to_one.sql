-- Under every attribution model the credits of one conversion sum to 1 (within float rounding).
with

attribution as (

    select
        conversion_id,
        first_touch_credit,
        last_touch_credit,
        linear_credit
    from {{ ref('attribution') }}

),

credits_per_conversion as (

    select
        conversion_id,
        sum(first_touch_credit) as first_touch_credits,
        sum(last_touch_credit) as last_touch_credits,
        sum(linear_credit) as linear_credits
    from attribution
    group by conversion_id

)

select * from credits_per_conversion
where
    abs(first_touch_credits - 1) > 1e-9
    or abs(last_touch_credits - 1) > 1e-9
    or abs(linear_credits - 1) > 1e-9
