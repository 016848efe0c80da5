{#-
    Cohort retention per acquisition channel: one row per cohort_grain, acquisition_channel, cohort_start and
    periods_since_cohort. Definitions: macros/metrics/cohort_retention_query.sql.
-#}
{{ cohort_retention_query('acquisition_channel') }}
