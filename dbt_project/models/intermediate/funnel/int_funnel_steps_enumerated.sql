{#-
    The funnel steps of var('funnel_steps') as rows, numbered in order (1 = the entry step),
    so that every mart can list every step, including steps nobody reached.
-#}
{%- set steps = get_funnel_steps() -%}

with

steps as (

    {%- for step in steps %}
    select
        cast({{ loop.index }} as integer) as step_number,
        cast('{{ step | replace("'", "''") }}' as {{ dbt.type_string() }}) as step_name,
        {{ 'true' if loop.last else 'false' }} as is_final_step
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        step_number,
        step_name,
        is_final_step
    from steps

)

select * from final
