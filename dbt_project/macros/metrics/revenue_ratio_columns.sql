{#-
    The monthly revenue ratios, from the additive counts of a revenue_metrics row (whole business or one
    channel): one definition for revenue_metrics and revenue_metrics_by_channel, so the two cannot drift.
    Each is null when its denominator is 0 (docs/metrics.md, "Revenue metrics").
-#}
{% macro revenue_ratio_columns() -%}
        {{ safe_divide('revenue', 'active_users') }} as arpu,
        {{ safe_divide('revenue', 'paying_users') }} as arppu,
        {{ safe_divide('churned_customers', 'customers_start') }} as customer_churn_rate,
        {{ safe_divide('churned_revenue', 'churn_base_revenue') }} as revenue_churn_rate,
        {{ safe_divide('failed_charge_attempts', 'charge_attempts') }} as payment_failure_rate,
        {{ safe_divide('recovered_charges', 'failed_first_attempts') }} as recovered_after_retry_rate
{%- endmacro %}
