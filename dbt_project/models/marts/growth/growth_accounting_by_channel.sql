{#- Growth accounting per acquisition channel: one row per period_grain, acquisition_channel, period_start. -#}
{{ growth_accounting_query('acquisition_channel') }}
