{#-
    The incremental strategy of the big incremental models, chosen per warehouse in one place.
    `replaces` says what a model's new rows replace:
      'keys'      rows with the same unique_key (events, user-days): delete+insert on DuckDB and PostgreSQL;
      'user_tail' each user's rows from the earliest new row on (sessions, whose ids can vanish when a late event
                  joins two sessions): the custom strategy get_incremental_user_tail_sql.
    A warehouse that rewrites date partitions instead (Spark: insert_overwrite) adds its own <adapter>__ version.
-#}
{% macro incremental_strategy(replaces='keys') -%}
    {{ return(adapter.dispatch('incremental_strategy', 'growth_analytics')(replaces)) }}
{%- endmacro %}

{% macro default__incremental_strategy(replaces='keys') -%}
    {%- if replaces == 'keys' -%}
        {{ return('delete+insert') }}
    {%- elif replaces == 'user_tail' -%}
        {{ return('user_tail') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("incremental_strategy: replaces must be 'keys' or 'user_tail', got " ~ replaces) }}
    {%- endif -%}
{%- endmacro %}

{#-
    Spark with plain Parquet tables (no Delta here): dbt-spark has no delete+insert, and a date-partition
    insert_overwrite would need these models to return whole days, which they do not (they return the changed keys
    or user tails). So on Spark the incremental models are built whole: the first build (and any
    `--full-refresh`) creates them, and a refresh of an existing table stops with one clear message instead of
    appending wrong rows. 'append' is only the strategy name dbt-spark accepts for that first build.
-#}
{% macro spark__incremental_strategy(replaces='keys') -%}
    {%- if execute and is_incremental() -%}
        {{ exceptions.raise_compiler_error(
            "incremental refresh of " ~ this ~ " is not supported on Spark (Parquet tables): run dbt with"
            ~ " --full-refresh (see docs/decisions.md, Apache Spark)") }}
    {%- endif -%}
    {{ return('append') }}
{%- endmacro %}
