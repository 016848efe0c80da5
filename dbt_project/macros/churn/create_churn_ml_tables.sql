{#-
    The tables the churn step (python -m churn) writes, in schema ml, created empty when missing. Run from
    on-run-start so that a first `dbt build` (before any training) finds them and builds churn_risk and
    churn_model_evaluation empty. Dispatched: a warehouse whose DDL differs adds its own implementation.
    Columns must match churn/store.py.
-#}
{% macro create_churn_ml_tables() -%}
    {{ return(adapter.dispatch('create_churn_ml_tables')()) }}
{%- endmacro %}

{% macro default__create_churn_ml_tables() -%}
    create schema if not exists ml;
    create table if not exists ml.churn_scores (
        user_id varchar,
        as_of_date date,
        model_name varchar,
        churn_probability {{ type_double() }},
        reason_1 varchar,
        reason_2 varchar,
        reason_3 varchar
    );
    create table if not exists ml.churn_backtest (
        user_id varchar,
        as_of_date date,
        model_name varchar,
        churn_probability {{ type_double() }},
        recency_score {{ type_double() }},
        planted_propensity {{ type_double() }},
        is_churned boolean
    );
    create table if not exists ml.churn_feature_importance (
        model_name varchar,
        feature_name varchar,
        importance {{ type_double() }},
        importance_rank integer
    )
{%- endmacro %}

{#- Spark: one statement per call, string columns, parquet tables. -#}
{% macro spark__create_churn_ml_tables() -%}
    {%- set tables = {
        'churn_scores': 'user_id string, as_of_date date, model_name string, churn_probability double,'
            ~ ' reason_1 string, reason_2 string, reason_3 string',
        'churn_backtest': 'user_id string, as_of_date date, model_name string, churn_probability double,'
            ~ ' recency_score double, planted_propensity double, is_churned boolean',
        'churn_feature_importance': 'model_name string, feature_name string, importance double, importance_rank int',
    } -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists ml') -%}
        {%- for name, columns in tables.items() -%}
            {%- do run_query('create table if not exists ml.' ~ name ~ ' (' ~ columns ~ ') using parquet') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as churn_ml_tables_created
{%- endmacro %}
