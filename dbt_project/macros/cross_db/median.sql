{#-
    Median (continuous: the mean of the two middle values for an even count) of a numeric
    expression, as an aggregate. Nulls are ignored; null when every value is null.
    DuckDB: quantile_cont. PostgreSQL (default): the ordered-set aggregate percentile_cont.
-#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'growth_analytics')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
