{#-
    Growth accounting over all users: one row per period_grain (day, week, month) and period_start.
    Definitions and identities: macros/metrics/growth_accounting_query.sql.
-#}
{{ growth_accounting_query() }}
