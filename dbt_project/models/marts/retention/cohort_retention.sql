{#-
    Cohort retention: one row per cohort_grain (day, week, month), cohort_start and periods_since_cohort.
    Definitions: macros/metrics/cohort_retention_query.sql.
-#}
{{ cohort_retention_query() }}
