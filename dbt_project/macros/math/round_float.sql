{#-
    Round a float expression to `digits` decimals and return it as a double. PostgreSQL only rounds
    numerics, so the value goes through numeric(38, 15); use it for bounded statistics (rates, z, p-values).
-#}
{% macro round_float(expression, digits=6) -%}
    cast(round(cast({{ expression }} as numeric(38, 15)), {{ digits }}) as {{ type_double() }})
{%- endmacro %}
