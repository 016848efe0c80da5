{#-
    Custom incremental strategy 'user_tail': for every user in the new rows, delete the target rows of that user at or
    after the user's earliest new row (config tail_column, e.g. started_at), then insert the new rows.
    The model must therefore return, for each user it touches, every row from that earliest point on: rows that
    no longer exist after a recompute (two sessions joined by a late event) disappear with the delete.
    config: unique_key = the user column (e.g. 'user_id'), tail_column = the ordering column.
-#}
{% macro get_incremental_user_tail_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set user_key = arg_dict['unique_key'] -%}
    {%- set tail_column = config.get('tail_column') -%}
    {%- if user_key is not string or not tail_column -%}
        {{ exceptions.raise_compiler_error("the user_tail strategy needs unique_key (one column) and tail_column") }}
    {%- endif -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}

    delete from {{ target }}
    where exists (
        select 1
        from (
            select {{ user_key }} as tail_user, min({{ tail_column }}) as tail_from
            from {{ source }}
            group by {{ user_key }}
        ) as tails
        where tails.tail_user = {{ target }}.{{ user_key }}
            and {{ target }}.{{ tail_column }} >= tails.tail_from
    );

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}
