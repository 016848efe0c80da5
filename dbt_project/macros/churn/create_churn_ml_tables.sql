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
        churn_probability double precision,
        reason_1 varchar,
        reason_2 varchar,
        reason_3 varchar
    );
    create table if not exists ml.churn_backtest (
        user_id varchar,
        as_of_date date,
        model_name varchar,
        churn_probability double precision,
        recency_score double precision,
        planted_propensity double precision,
        is_churned boolean
    );
    create table if not exists ml.churn_feature_importance (
        model_name varchar,
        feature_name varchar,
        importance double precision,
        importance_rank integer
    )
{%- endmacro %}
