{#-
    numerator / denominator as double precision; null when the denominator is 0 or null (never a division
    error, never infinity). Both sides are cast to double first, so integer counts do not truncate on
    PostgreSQL and money (numeric) ratios come out as floats on both warehouses.
-#}
{% macro divide_or_null(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0))
{%- endmacro %}
