{#-
    Spark's implementation of dbt's cross-database `dateadd`. dbt-spark's own goes through unix seconds and drops
    the microseconds of a timestamp (a funnel window ending at 02:54:15 instead of 02:54:15.850823, so the marts
    differed from DuckDB's); Spark's timestampadd keeps them. A date comes back as a timestamp at midnight: callers
    that want a date cast it (period_add does).
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, cast({{ interval }} as bigint), {{ from_date_or_timestamp }})
{%- endmacro %}
