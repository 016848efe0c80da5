{#-
    Session settings a model runs with (a pre-hook on every model, see dbt_project.yml).
    PostgreSQL: hash joins only, for this model's transaction (`set local`). Our models chain CTEs that are
    read more than once, which PostgreSQL materialises without statistics; it then guesses a few dozen rows
    where there are hundreds of thousands and picks nested-loop or merge joins with a join filter, which
    compare every pair (cohort_retention_by_channel went through 288 million pairs at the default scale:
    22 s; 1.4 s with hash joins). Nothing here has indexes, so hash joins are the right plan for every join
    that has an equality; a join without one still gets a nested loop (the settings only price the others
    out). DuckDB plans analytic joins itself: nothing to set.
-#}
{% macro analytic_join_settings() -%}
    {{ return(adapter.dispatch('analytic_join_settings', 'growth_analytics')()) }}
{%- endmacro %}

{% macro default__analytic_join_settings() -%}
{%- endmacro %}

{% macro postgres__analytic_join_settings() -%}
    set local enable_nestloop = off; set local enable_mergejoin = off
{%- endmacro %}
