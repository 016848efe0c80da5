{{ config(severity='warn') }}

-- Lists the anomalies of the last complete day of each metric, as a warning (the pipeline stays green; the
-- warning is the alert). A metric's last complete day is its latest day with is_complete.
with

anomalies as (

    select
        metric_date,
        metric_name,
        metric_value,
        trailing_mean,
        z_score,
        anomaly_direction,
        is_anomaly,
        is_complete
    from {{ ref('metric_anomalies') }}

),

last_complete_days as (

    select
        metric_name,
        max(metric_date) as last_complete_date
    from anomalies
    where is_complete
    group by metric_name

)

select
    anomalies.metric_date,
    anomalies.metric_name,
    anomalies.metric_value,
    anomalies.trailing_mean,
    anomalies.z_score,
    anomalies.anomaly_direction
from anomalies
inner join last_complete_days
    on
        anomalies.metric_name = last_complete_days.metric_name
        and anomalies.metric_date = last_complete_days.last_complete_date
where anomalies.is_anomaly
