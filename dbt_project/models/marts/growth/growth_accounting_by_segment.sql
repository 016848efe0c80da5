{#- Growth accounting per user segment: one row per period_grain, segment, period_start. -#}
{{ growth_accounting_query('segment') }}
