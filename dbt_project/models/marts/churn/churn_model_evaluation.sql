{#-
    One row per backtest as-of date: how well the chosen churn model ranked and calibrated users it had not been
    trained on (trained only on as-of dates whose label window had closed before this one). ROC AUC from average
    ranks (ties count half), PR AUC as average precision, precision and recall of the riskiest 10 % (ties broken by
    user_id), calibration error = user-weighted mean |mean probability - churn rate| over probability deciles, and
    the same ROC AUC for the recency-only score and for the planted propensity (the ceiling; null on imported data).
-#}
with

backtest as (

    select
        user_id,
        model_name,
        churn_probability,
        recency_score,
        planted_propensity,
        is_churned,
        as_of_date
    from {{ ref('stg_ml__churn_backtest') }}

),

scores_long as (

    select
        as_of_date,
        'model' as score_name,
        churn_probability as score,
        is_churned
    from backtest
    union all
    select
        as_of_date,
        'recency' as score_name,
        recency_score as score,
        is_churned
    from backtest
    union all
    select
        as_of_date,
        'planted' as score_name,
        planted_propensity as score,
        is_churned
    from backtest
    where planted_propensity is not null

),

scores_ranked as (

    select
        as_of_date,
        score_name,
        is_churned,
        rank() over (partition by as_of_date, score_name order by score)
        + (count(*) over (partition by as_of_date, score_name, score) - 1) / 2.0 as average_rank
    from scores_long

),

roc_auc_by_score as (

    select
        as_of_date,
        score_name,
        case
            when sum(case when is_churned then 1 else 0 end) > 0 and sum(case when is_churned then 0 else 1 end) > 0
                then
                    (
                        sum(case when is_churned then average_rank else 0 end)
                        - sum(case when is_churned then 1 else 0 end)
                        * (sum(case when is_churned then 1 else 0 end) + 1) / 2.0
                    )
                    / (
                        cast(sum(case when is_churned then 1 else 0 end) as {{ type_double() }})
                        * sum(case when is_churned then 0 else 1 end)
                    )
        end as roc_auc
    from scores_ranked
    group by as_of_date, score_name

),

model_ordered as (

    select
        as_of_date,
        user_id,
        churn_probability,
        is_churned,
        sum(case when is_churned then 1 else 0 end) over (
            partition by as_of_date order by churn_probability desc
        ) as churned_at_or_above,
        count(*) over (partition by as_of_date order by churn_probability desc) as users_at_or_above,
        row_number() over (partition by as_of_date order by churn_probability desc, user_id asc) as risk_position,
        ntile(10) over (partition by as_of_date order by churn_probability, user_id) as probability_decile,
        count(*) over (partition by as_of_date) as users_scored
    from backtest

),

deciles as (

    select
        as_of_date,
        probability_decile,
        count(*) as users,
        avg(churn_probability) as mean_probability,
        avg(case when is_churned then 1.0 else 0.0 end) as churn_rate
    from model_ordered
    group by as_of_date, probability_decile

),

calibration as (

    select
        as_of_date,
        sum(users * abs(mean_probability - churn_rate)) / sum(users) as calibration_error
    from deciles
    group by as_of_date

),

model_summary as (

    select
        as_of_date,
        count(*) as users,
        sum(case when is_churned then 1 else 0 end) as churned_users,
        sum(
            case when is_churned then cast(churned_at_or_above as {{ type_double() }}) / users_at_or_above else 0 end
        ) as precision_sum,
        sum(
            case when risk_position <= ceiling(users_scored * 0.1) and is_churned then 1 else 0 end
        ) as churned_in_top_decile,
        sum(case when risk_position <= ceiling(users_scored * 0.1) then 1 else 0 end) as users_in_top_decile
    from model_ordered
    group by as_of_date

),

model_names as (

    select
        as_of_date,
        min(model_name) as model_name
    from backtest
    group by as_of_date

),

final as (

    select
        cast(model_names.model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_summary.users as {{ dbt.type_bigint() }}) as users,
        cast(model_summary.churned_users as {{ dbt.type_bigint() }}) as churned_users,
        {{ round_float('cast(model_summary.churned_users as ' ~ type_double() ~ ') / model_summary.users', 9) }}
            as base_rate,
        {{ round_float('model_auc.roc_auc', 9) }} as roc_auc,
        {{ round_float(
            'case when model_summary.churned_users > 0 then model_summary.precision_sum / model_summary.churned_users end',
            9) }} as pr_auc,
        {{ round_float(
            'cast(model_summary.churned_in_top_decile as ' ~ type_double() ~ ')'
            ~ ' / nullif(model_summary.users_in_top_decile, 0)',
            9) }} as top_decile_precision,
        {{ round_float(
            'cast(model_summary.churned_in_top_decile as ' ~ type_double() ~ ')'
            ~ ' / nullif(model_summary.churned_users, 0)',
            9) }} as top_decile_recall,
        {{ round_float('calibration.calibration_error', 9) }} as calibration_error,
        {{ round_float('recency_auc.roc_auc', 9) }} as recency_roc_auc,
        {{ round_float('planted_auc.roc_auc', 9) }} as ceiling_roc_auc,
        model_summary.as_of_date
    from model_summary
    inner join model_names
        on model_summary.as_of_date = model_names.as_of_date
    inner join calibration
        on model_summary.as_of_date = calibration.as_of_date
    left join roc_auc_by_score as model_auc
        on
            model_summary.as_of_date = model_auc.as_of_date
            and model_auc.score_name = 'model'
    left join roc_auc_by_score as recency_auc
        on
            model_summary.as_of_date = recency_auc.as_of_date
            and recency_auc.score_name = 'recency'
    left join roc_auc_by_score as planted_auc
        on
            model_summary.as_of_date = planted_auc.as_of_date
            and planted_auc.score_name = 'planted'

)

select * from final
