{#-
    churned = previous period's active - retained, on every row of the three growth-accounting marts
    (previous period = the row before in period order within the grain and slice; 0 before the first).
    Returns the rows where the identity fails.
-#}
{%- set marts = [
    ('growth_accounting', none),
    ('growth_accounting_by_channel', 'acquisition_channel'),
    ('growth_accounting_by_segment', 'segment'),
] -%}

with

{% for mart, dimension in marts -%}
{{ mart }}_checked as (

    select
        '{{ mart }}' as mart,
        period_grain,
        cast({{ dimension if dimension else "'all'" }} as {{ dbt.type_string() }}) as slice,
        period_start,
        churned_users,
        retained_users,
        coalesce(
            lag(active_users) over (
                partition by period_grain{{ ', ' ~ dimension if dimension else '' }}
                order by period_start
            ),
            0
        ) as previous_active_users
    from {{ ref(mart) }}

),

{% endfor -%}

all_checked as (

    {% for mart, dimension in marts -%}
    select * from {{ mart }}_checked
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from all_checked
where churned_users <> previous_active_users - retained_users
